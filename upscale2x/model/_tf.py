"""Import TensorFlow quietly, once. Only modules that need it import this (the CLI's --help must stay fast).

The full TensorFlow wheel prints C++ log lines about missing CUDA drivers at import and at device set-up on
every CPU-only machine, whatever TF_CPP_MIN_LOG_LEVEL says. We send file descriptor 2 to a temporary file
while that happens and replay it only if the import fails.
"""

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _quiet_import():
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import keras
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery logs its CUDA complaints now, into the file
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return keras, tf


keras, tf = _quiet_import()

__all__ = ["keras", "tf"]
