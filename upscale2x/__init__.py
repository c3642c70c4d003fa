"""upscale2x: pix2pix upscalers and Learning-to-See generators, tiled to print size.

Importing the package is cheap; TensorFlow loads only when a model is built or loaded.
"""

import os as _os

# numpy's OpenBLAS threads spin for a while after each product; on a small machine they then fight the model's own
# threads (LiteRT's or TensorFlow's) for the cores: the sr8x lift made a LiteRT render 1.6x slower. The matrix
# products here are small, so one BLAS thread is enough. Effective only when numpy is not imported yet (the CLI).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .errors import (
    DatasetError,
    ImageReadError,
    ImageWriteError,
    ModelError,
    RenderError,
    SeriesError,
    TileError,
    TrainError,
    Upscale2xError,
)
from .io.read import Picture, read_image
from .io.write import ImageWriter, write_image
from .model.bundle import Bundle, Card, load_bundle, save_bundle  # noqa: E402
from .render.files import RenderOptions, render_file
from .render.stages import Chain, Stage
from .render.tiling import TileSpec, tile_apply

__version__ = "0.1.0"

__all__ = [
    "Bundle",
    "Card",
    "Chain",
    "DatasetError",
    "ImageReadError",
    "ImageWriteError",
    "ImageWriter",
    "ModelError",
    "Picture",
    "RenderError",
    "RenderOptions",
    "SeriesError",
    "Stage",
    "TileError",
    "TileSpec",
    "TrainError",
    "Upscale2xError",
    "load_bundle",
    "read_image",
    "render_file",
    "save_bundle",
    "tile_apply",
    "write_image",
]
