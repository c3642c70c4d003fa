"""One trainer per run folder.

Two processes training the same ``--out`` (a ``--resume`` typed while the first run still goes on in the
background) would interleave their checkpoints: each would resume from whichever the other wrote last. The
trainer holds an exclusive ``flock`` on ``RUN/.train.lock`` for as long as it trains; the operating system
drops it when the process ends, however it ends, so a killed run leaves no stale lock. ``--export`` only reads
checkpoints and takes no lock. Where ``fcntl`` is missing (Windows) runs are not locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import TrainError

LOCK_NAME = ".train.lock"


@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the run folder ``out`` (which exists) for this process; TrainError if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise TrainError(
                f"{out}: another process{who} is training this run; wait for it to end or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
