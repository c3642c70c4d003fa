"""The one registry of model tasks: what a bundle of each task takes in, gives out, and how it is fed.

The CLI's ``--task`` choices, the render code and the training code all read this table; nothing branches on
task names. Transforms are named here and looked up in ``preprocess.TRANSFORMS``, which checks at import that
every name in this table exists (this module stays free of TensorFlow).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

LAYOUTS = ("target", "pairs")  # target: the input is made from each image; pairs: A/B or side-by-side images


@dataclass(frozen=True)
class TaskSpec:
    """Shapes and feeding of one task, in rendering and in training."""

    name: str
    scale: int  # output pixels per input pixel along each axis
    in_cell: int  # side of an input cell the tiler cuts (pixels of the stage input)
    in_channels: int  # channels the generator sees (1 = grayscale)
    out_channels: int  # channels the generator produces
    summary: str  # one line for --help and cards
    image_prep: str = ""  # whole-image transform in preprocess (before tiling), "" for none
    cell_prep: str = ""  # per-cell transform in preprocess (inside the model callable), "" for none
    residual: bool = False  # the generator's output is added to its (lifted) input: it learns only the detail
    layout: str = "target"  # how a data folder becomes training pairs (LAYOUTS)
    train_input: str = ""  # layout "target": transform making the raw input from a 256 target crop
    train_jitter: str = ""  # training only: random transform(input, seed) on top (see's brightness/contrast)

    def __post_init__(self) -> None:
        if self.scale < 1 or self.in_cell < 1:
            raise ValueError(f"task {self.name}: scale and in_cell must be >= 1")
        if (self.in_cell * self.scale) % 256:
            raise ValueError(f"task {self.name}: output cell {self.in_cell * self.scale} is not a multiple of 256")
        if self.layout not in LAYOUTS or (self.layout == "target") != bool(self.train_input):
            raise ValueError(f"task {self.name}: layout {self.layout!r} with train_input {self.train_input!r}")

    @property
    def out_cell(self) -> int:
        """Side of an output cell (the generator's input and output size)."""
        return self.in_cell * self.scale

    @property
    def transforms(self) -> tuple[str, ...]:
        """Every preprocess transform this task names."""
        return tuple(t for t in (self.image_prep, self.cell_prep, self.train_input, self.train_jitter) if t)


TASKS = MappingProxyType(
    {
        "sr8x": TaskSpec(
            name="sr8x",
            scale=8,
            in_cell=32,
            in_channels=3,
            out_channels=3,
            summary="8x upscaler: a 32x32 cell, cubic-upscaled to 256x256, plus the generator's detail",
            cell_prep="sr8x_lift",
            residual=True,
            train_input="sr8x_degrade",
        ),
        "see": TaskSpec(
            name="see",
            scale=1,
            in_cell=256,
            in_channels=1,
            out_channels=3,
            summary="Learning to See: grayscale, 24x area down + cubic up, then 256x256 -> 256x256 colour",
            image_prep="see_abstract",
            train_input="see_abstract",
            train_jitter="see_jitter",
        ),
        "paired": TaskSpec(
            name="paired",
            scale=1,
            in_cell=256,
            in_channels=3,
            out_channels=3,
            summary="classic pix2pix on A->B pairs, 256x256 -> 256x256",
            layout="pairs",
        ),
    }
)
