"""upscale2x: pix2pix upscalers and Learning-to-See generators, tiled to print size.

Importing the package is cheap; TensorFlow loads only when a model is built or loaded.
"""

from .bundle import Bundle, Card, load_bundle, save_bundle
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
from .imageio import Picture, read_image
from .imagewrite import ImageWriter, write_image
from .pipeline import Chain, Stage
from .render import RenderOptions, render_file
from .tiling import TileSpec, tile_apply

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
