"""Import TensorFlow quietly, once. Only modules that need it import this (the CLI's --help must stay fast)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no C++ banner about CUDA / CPU instructions on every run

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

__all__ = ["keras", "tf"]
