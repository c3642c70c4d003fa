"""Typed errors. The library raises these; only ``upscale2x.cli`` turns them into a message and an exit code."""

from __future__ import annotations


class Upscale2xError(Exception):
    """Base class of every error upscale2x raises on purpose."""


class ImageReadError(Upscale2xError):
    """An input image is missing, unreadable, empty, of an unsupported mode, or too large."""


class ImageWriteError(Upscale2xError):
    """An output image could not be written (bad path, unsupported format/bit depth, existing file)."""


class ModelError(Upscale2xError):
    """A model bundle is missing, corrupt, foreign, or its card does not match its weights."""


class TileError(Upscale2xError):
    """Bad tiling parameters (cell size, overlap, batch) or a model callable that returned the wrong shape."""


class RenderError(Upscale2xError):
    """A render request that cannot be satisfied (nonsense scale, wrong model task for the scale)."""


class DatasetError(Upscale2xError):
    """A training data folder is missing, empty, or malformed."""


class TrainError(Upscale2xError):
    """A training run cannot start or resume (bad options, incompatible checkpoint)."""


class SeriesError(Upscale2xError):
    """A series spec is invalid (unknown field, missing model, impossible print size)."""
