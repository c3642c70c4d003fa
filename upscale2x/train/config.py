"""Training settings: a frozen dataclass, saved beside the run so --resume can check it continues the same run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import TrainError
from ..fieldcheck import build
from ..model.nets import MAX_BLOCK_WIDTH, MAX_DISC_SCALES, MAX_RES_BLOCKS, PADDINGS, PRECISIONS, PRESETS, UPSAMPLERS
from ..model.tasks import TASKS

# --degrade: none, jpeg (JPEG only, a share of inputs clean), full (blur, resize, noise, JPEG): train/degrade.py
DEGRADE_MODES = ("none", "jpeg", "full")

STRATEGIES = ("none", "mirrored", "multiworker")
PIXEL_LOSSES = ("l1", "mse")  # the pixel term weighed by l1_weight (train/gan.py)
GAN_LOSSES = ("bce", "lsgan", "hinge")  # adversarial losses (train/gan.py): pix2pix's, least squares, hinge
# Settings that must not change between a run and its resumption (epochs may grow; quiet/progress may change).
# Widths are compared as built (base width and cap), so a run started with --base-width 16 --max-width 128 may be
# resumed as --preset hires.
FIXED_ON_RESUME = (
    "task",
    "width",
    "cap",
    "upsample",
    "res_blocks",
    "block_width",
    "attention",
    "lattice_free",
    "lattice_free_window",
    "padding",
    "dropout",
    "ndf",
    "disc_scales",
    "spectral_norm",
    "batch",
    "seed",
    "val_fraction",
    "input_side",
    "scale_range",
)


@dataclass(frozen=True)
class TrainConfig:
    """One training run."""

    data: str  # folder of images (sr8x, see) or of pairs (paired: A/ + B/, or side-by-side AB images)
    task: str  # sr8x / see / paired
    out: str  # run folder: checkpoints, previews, logs, and the final bundle
    preset: str | None = "small"  # generator width preset; None with base_width for a custom width
    base_width: int | None = None  # custom generator base width (instead of a preset)
    max_width: int = 512  # generator filter cap of a custom base width (a preset brings its own)
    upsample: str = "transpose"  # decoder upsampling: transpose (pix2pix) or resize (nearest x2 + 3x3 conv)
    res_blocks: int = 0  # residual blocks at 1/8 of the cell (nets.unet_generator; 0 = pix2pix's U-Net)
    block_width: int = 0  # inner width of the residual blocks (WDSR's wide activation; 0 = the blocks' own width)
    attention: bool = False  # RCAN's channel attention in every residual block
    lattice_free: bool = False  # end the generator in layers.LatticeFree: no 8-px periodic part in its output
    lattice_free_window: int = 0  # px: that layer removes it round each pixel over this window (0 = per cell)
    padding: str = "zero"  # convolution borders: zero (pix2pix) or reflect (mirrored: no frame; nets.PADDINGS)
    dropout: bool = True  # pix2pix's dropout in the first three decoder steps (its noise source)
    epochs: int = 200  # passes over the training images
    batch: int = 4  # images per step per replica (global batch = batch x replicas)
    lr: float = 2e-4  # Adam learning rate for both nets
    l1_weight: float = 100.0  # lambda of the L1 term
    gan_weight: float = 1.0  # weight of the adversarial term; 0 = L1 only (discriminator not trained)
    disc_scales: int = 1  # discriminator scales: 1 = pix2pix's PatchGAN, 2-4 = pix2pixHD's multi-scale one
    ndf: int = 16  # discriminator base width (pix2pix: 64; 16 trains about 2x faster on a CPU, as every shipped GAN)
    gan_loss: str = "bce"  # adversarial loss: bce (pix2pix), lsgan or hinge
    feature_matching: float = 0.0  # weight of pix2pixHD's discriminator feature-matching term (0 = off; HD: 10)
    r1: float = 0.0  # R1 gradient penalty gamma on real images (0 = off)
    lattice: float = 0.0  # weight of the penalty on the error's 8-px-periodic part (gan.lattice_error; 0 = off)
    lattice_window: int = 0  # px: the lattice penalty per window of this side (multiple of 8); 0 = per crop
    texture: float = 0.0  # weight of the 8x8-block detail-energy term (gan.texture_error; 0 = off)
    pixel_loss: str = "l1"  # the pixel term weighed by l1_weight: l1 or mse (squared error)
    spectral_norm: bool = False  # spectral normalisation on the discriminator's convolutions (no BatchNorm there)
    d_lr: float | None = None  # discriminator learning rate (None = lr); lower = a slower discriminator
    val_fraction: float = 0.05  # share of images held out for previews and metrics
    seed: int = 0  # data order, augmentation and initial weights
    distribute: str = "none"  # none / mirrored (local GPUs) / multiworker (TF_CONFIG)
    peer_timeout: float = 300.0  # multiworker: seconds a worker waits for all its peers before it gives up
    checkpoint_steps: int = 200  # also checkpoint every this many steps inside long epochs
    input_side: str = "left"  # paired side-by-side images: which half is the input
    flip_vertical: bool = False  # see/sr8x: random vertical flips too
    max_images: int | None = None  # use at most this many images (quick runs)
    init_from: str | None = None  # start the generator from this bundle's weights (fine-tuning)
    # sr8x/see: crop at a random scale in [lo, hi] of the image's native size (log-uniform; 1 = native pixels),
    # raised where needed so a 256 crop fits; None = shrink whole scenes so the shorter side is 100-130 % of 256.
    scale_range: tuple[float, float] | None = None
    # 8x tasks: make each training input at f x the 8x downscale, f log-uniform in [lo, hi] (pairs.dream_input), so
    # the target holds detail the input cannot: a model that invents it (sr8x-dream); None = the plain 8x input
    dream: tuple[float, float] | None = None
    # 8x tasks: degrade each training input as photos arrive (train/degrade.py): none, jpeg (JPEG only, a share
    # clean) or full (blur, resize, noise and JPEG in a random order), so the model does not sharpen JPEG blocks
    # and noise into texture (a run saved with true/false loads as full/none)
    degrade: str = "none"
    # float32, or bf16 (bfloat16 arithmetic, float32 weights: about 2x faster on CPUs with AMX or AVX-512 BF16);
    # the weights are float32 either way, so --resume may switch it, and the bundle is always float32
    precision: str = "float32"

    def __post_init__(self) -> None:
        for name in ("scale_range", "dream"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        d_lo, d_hi = self.dream if self.dream and len(self.dream) == 2 else (1.0, 1.0)
        lo, hi = self.scale_range or (1.0, 1.0)
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
            (
                1 <= self.disc_scales <= MAX_DISC_SCALES,
                f"disc scales must be 1-{MAX_DISC_SCALES}, got {self.disc_scales}",
            ),
            (self.gan_loss in GAN_LOSSES, f"gan loss must be one of {', '.join(GAN_LOSSES)}, got {self.gan_loss!r}"),
            (self.feature_matching >= 0, f"feature matching weight must be >= 0, got {self.feature_matching}"),
            (self.r1 >= 0, f"r1 must be >= 0, got {self.r1}"),
            (self.lattice >= 0, f"lattice weight must be >= 0, got {self.lattice}"),
            (self.texture >= 0, f"texture weight must be >= 0, got {self.texture}"),
            (
                self.lattice_window >= 0 and self.lattice_window % 8 == 0,
                f"lattice window must be 0 or a multiple of 8 px, got {self.lattice_window}",
            ),
            (
                self.pixel_loss in PIXEL_LOSSES,
                f"pixel loss must be one of {', '.join(PIXEL_LOSSES)}, got {self.pixel_loss!r}",
            ),
            (self.d_lr is None or 0 < self.d_lr < 1, f"discriminator learning rate must be in (0, 1), got {self.d_lr}"),
            (self.distribute in STRATEGIES, f"distribute must be one of {', '.join(STRATEGIES)}"),
            (self.peer_timeout > 0, f"peer timeout must be > 0 seconds, got {self.peer_timeout}"),
            (self.checkpoint_steps >= 1, "checkpoint steps must be >= 1"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"),
            (self.upsample in UPSAMPLERS, f"upsample must be one of {', '.join(UPSAMPLERS)}, got {self.upsample!r}"),
            (self.padding in PADDINGS, f"padding must be one of {', '.join(PADDINGS)}, got {self.padding!r}"),
            (
                self.padding != "reflect" or self.upsample != "transpose",
                "padding reflect needs --upsample resize or bilinear (a transposed convolution has no padding)",
            ),
            (
                0 <= self.res_blocks <= MAX_RES_BLOCKS,
                f"res blocks must be 0-{MAX_RES_BLOCKS}, got {self.res_blocks}",
            ),
            (
                0 <= self.block_width <= MAX_BLOCK_WIDTH,
                f"block width must be 0-{MAX_BLOCK_WIDTH} (0 = the blocks' own width), got {self.block_width}",
            ),
            (
                self.lattice_free_window == 0 or self.lattice_free_window >= 16 and self.lattice_free_window % 8 == 0,
                f"lattice-free window must be 0 or a multiple of 8 px from 16, got {self.lattice_free_window}",
            ),
            (
                self.lattice_free or not self.lattice_free_window,
                "--lattice-free-window needs --lattice-free",
            ),
            (
                self.res_blocks > 0 or not (self.block_width or self.attention),
                "--block-width and --attention need residual blocks (--res-blocks N)",
            ),
            (self.base_width is None or self.base_width >= 1, f"base width must be >= 1, got {self.base_width}"),
            (self.max_width >= 1, f"max width must be >= 1, got {self.max_width}"),
            (
                self.scale_range is None or len(self.scale_range) == 2 and 0 < lo <= hi <= 1,
                f"scale range must be LO,HI with 0 < LO <= HI <= 1 (1 = native pixels), got {self.scale_range}",
            ),
            (
                self.dream is None or len(self.dream) == 2 and 1 <= d_lo <= d_hi <= 8,
                f"dream must be LO,HI with 1 <= LO <= HI <= 8 (times the 8x downscale), got {self.dream}",
            ),
            (
                self.dream is None or self.task not in TASKS or TASKS[self.task].scale > 1,
                f"dream is for upscaling tasks (sr8x), not {self.task}",
            ),
            (
                self.degrade in DEGRADE_MODES,
                f"degrade must be one of {', '.join(DEGRADE_MODES)}, got {self.degrade!r}",
            ),
            (
                self.degrade == "none" or self.task not in TASKS or TASKS[self.task].scale > 1,
                f"degrade is for upscaling tasks (sr8x), not {self.task}",
            ),
            (
                self.scale_range is None or self.task not in TASKS or TASKS[self.task].layout == "target",
                f"scale range is for tasks that make their input from an image, not {self.task}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise TrainError(message)

    @property
    def width(self) -> int:
        """The generator's base width (the preset's, or the custom one)."""
        return PRESETS[self.preset].base_width if self.preset else int(self.base_width)

    @property
    def disc_lr(self) -> float:
        """The discriminator's learning rate: ``d_lr``, or ``lr`` when not given."""
        return self.d_lr or self.lr

    @property
    def native(self) -> bool:
        """Whether images are kept at native resolution (a scale range was given)."""
        return self.scale_range is not None

    @property
    def cap(self) -> int:
        """The generator's filter cap (the preset's, or ``max_width`` for a custom width)."""
        return PRESETS[self.preset].max_width if self.preset else int(self.max_width)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise TrainError(f"{path}: cannot read the run's settings ({e})") from None
        if isinstance(data, dict) and isinstance(data.get("degrade"), bool):  # runs saved before --degrade MODE
            data["degrade"] = "full" if data["degrade"] else "none"
        return build(cls, data, path, TrainError)

    def check_resumes(self, saved: TrainConfig, where: Path) -> None:
        """Raise :class:`TrainError` if this config changes a setting the saved run fixed."""
        changed = [k for k in FIXED_ON_RESUME if getattr(self, k) != getattr(saved, k)]
        if changed:
            diffs = ", ".join(f"{k}: {getattr(saved, k)!r} -> {getattr(self, k)!r}" for k in changed)
            raise TrainError(f"{where}: --resume cannot change {diffs}")
