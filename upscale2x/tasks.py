"""The one registry of model tasks: what a bundle of each task takes in, gives out, and how it is fed.

The CLI's ``--task`` choices and the render code read this table. (Training still branches on task names in
train/pairs.py, train/data.py and train/evaluate.py: the data layout and transform are not in the table yet.)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class TaskSpec:
    """Shapes and feeding of one task."""

    name: str
    scale: int  # output pixels per input pixel along each axis
    in_cell: int  # side of an input cell the tiler cuts (pixels of the stage input)
    in_channels: int  # channels the generator sees (1 = grayscale)
    out_channels: int  # channels the generator produces
    image_prep: str  # name of a whole-image transform in preprocess (before tiling), "" for none
    cell_prep: str  # name of a per-cell transform in preprocess (inside the model callable), "" for none
    summary: str  # one line for --help and cards
    residual: bool = False  # the generator's output is added to its (lifted) input: it learns only the detail

    def __post_init__(self) -> None:
        if self.scale < 1 or self.in_cell < 1:
            raise ValueError(f"task {self.name}: scale and in_cell must be >= 1")
        if (self.in_cell * self.scale) % 256:
            raise ValueError(f"task {self.name}: output cell {self.in_cell * self.scale} is not a multiple of 256")

    @property
    def out_cell(self) -> int:
        """Side of an output cell (the generator's input and output size)."""
        return self.in_cell * self.scale


TASKS = MappingProxyType(
    {
        "sr8x": TaskSpec(
            "sr8x",
            8,
            32,
            3,
            3,
            "",
            "sr8x_lift",
            "8x upscaler: a 32x32 cell, cubic-upscaled to 256x256, plus the generator's detail",
            residual=True,
        ),
        "see": TaskSpec(
            "see",
            1,
            256,
            1,
            3,
            "see_abstract",
            "",
            "Learning to See: grayscale, 24x area down + cubic up, then 256x256 -> 256x256 colour",
        ),
        "paired": TaskSpec(
            "paired",
            1,
            256,
            3,
            3,
            "",
            "",
            "classic pix2pix on A->B pairs, 256x256 -> 256x256",
        ),
    }
)
