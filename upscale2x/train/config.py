"""Training settings: a frozen dataclass, saved beside the run so --resume can check it continues the same run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import TrainError
from ..nets import PRESETS
from ..tasks import TASKS

STRATEGIES = ("none", "mirrored", "multiworker")
# Settings that must not change between a run and its resumption (epochs may grow; quiet/progress may change).
FIXED_ON_RESUME = ("task", "preset", "base_width", "max_width", "ndf", "batch", "seed", "val_fraction", "input_side")


@dataclass(frozen=True)
class TrainConfig:
    """One training run."""

    data: str  # folder of images (sr8x, see) or of pairs (paired: A/ + B/, or side-by-side AB images)
    task: str  # sr8x / see / paired
    out: str  # run folder: checkpoints, previews, logs, and the final bundle
    preset: str | None = "small"  # generator width preset; None with base_width for a custom width
    base_width: int | None = None  # custom generator base width (instead of a preset)
    max_width: int = 512  # generator filter cap
    epochs: int = 200  # passes over the training images
    batch: int = 4  # images per step per replica (global batch = batch x replicas)
    lr: float = 2e-4  # Adam learning rate for both nets
    l1_weight: float = 100.0  # lambda of the L1 term
    gan_weight: float = 1.0  # weight of the adversarial term; 0 = L1 only (discriminator not trained)
    ndf: int = 64  # discriminator base width (64 = pix2pix; 8-16 for CPU training)
    val_fraction: float = 0.05  # share of images held out for previews and metrics
    seed: int = 0  # data order, augmentation and initial weights
    distribute: str = "none"  # none / mirrored (local GPUs) / multiworker (TF_CONFIG)
    checkpoint_steps: int = 200  # also checkpoint every this many steps inside long epochs
    input_side: str = "left"  # paired side-by-side images: which half is the input
    flip_vertical: bool = False  # see/sr8x: random vertical flips too
    max_images: int | None = None  # use at most this many images (quick runs)
    init_from: str | None = None  # start the generator from this bundle's weights (fine-tuning)

    def __post_init__(self) -> None:
        checks = [
            (self.task in TASKS, f"task must be one of {', '.join(TASKS)}, got {self.task!r}"),
            (self.preset is None or self.preset in PRESETS, f"preset must be one of {', '.join(PRESETS)}"),
            ((self.preset is None) != (self.base_width is None), "give a preset or a base width, not both"),
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch >= 1, f"batch must be >= 1, got {self.batch}"),
            (0 < self.lr < 1, f"learning rate must be in (0, 1), got {self.lr}"),
            (self.l1_weight >= 0, f"l1 weight must be >= 0, got {self.l1_weight}"),
            (self.gan_weight >= 0, f"gan weight must be >= 0, got {self.gan_weight}"),
            (self.l1_weight > 0 or self.gan_weight > 0, "l1 weight and gan weight cannot both be 0"),
            (self.ndf >= 1, f"ndf must be >= 1, got {self.ndf}"),
            (self.distribute in STRATEGIES, f"distribute must be one of {', '.join(STRATEGIES)}"),
            (self.checkpoint_steps >= 1, "checkpoint steps must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise TrainError(message)

    @property
    def width(self) -> int:
        return PRESETS[self.preset].base_width if self.preset else int(self.base_width)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        try:
            data = json.loads(path.read_text())
            names = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in names})
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise TrainError(f"{path}: cannot read the run's settings ({e})") from None

    def check_resumes(self, saved: TrainConfig, where: Path) -> None:
        """Raise :class:`TrainError` if this config changes a setting the saved run fixed."""
        changed = [k for k in FIXED_ON_RESUME if getattr(self, k) != getattr(saved, k)]
        if changed:
            diffs = ", ".join(f"{k}: {getattr(saved, k)!r} -> {getattr(self, k)!r}" for k in changed)
            raise TrainError(f"{where}: --resume cannot change {diffs}")
