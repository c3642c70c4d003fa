"""`upscale2x train`: train a generator from a folder of images, resumably."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from ..fieldcheck import defaults
from ..model.nets import PADDINGS, PRESETS, UPSAMPLERS
from ..model.tasks import TASKS
from ..train.config import GAN_LOSSES, PIXEL_LOSSES, TrainConfig
from .common import err, fail, fail_line, handles_errors, plain, progress_bar

D = defaults(TrainConfig)  # the option defaults are the config's: written once, in train/config.py


@handles_errors
def train(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of images (sr8x, see) or pairs (paired: A/ + B/, or AB images); not for --export; "
            "--resume takes the run's own."
        ),
    ] = None,
    task: Annotated[str, typer.Option(help=f"One of: {', '.join(TASKS)}.")] = "sr8x",
    out: Annotated[Path | None, typer.Option(help="Run folder: checkpoints, previews, logs, final bundle.")] = None,
    preset: Annotated[str, typer.Option(help=f"Generator width: {', '.join(PRESETS)}.")] = D["preset"],
    base_width: Annotated[
        int | None, typer.Option(help="Custom generator width instead of --preset: filters min(W*2^i, cap).")
    ] = None,
    max_width: Annotated[int, typer.Option(help="Filter cap of a custom --base-width (paper: 512).")] = D["max_width"],
    upsample: Annotated[
        str,
        typer.Option(
            help=f"Decoder upsampling: {', '.join(UPSAMPLERS)} (resize/bilinear x2 + 3x3 conv: no checkerboard)."
        ),
    ] = D["upsample"],
    res_blocks: Annotated[
        int,
        typer.Option(help="Residual blocks at 1/8 of the cell (the sr8x input's scale; 0 = pix2pix's U-Net)."),
    ] = D["res_blocks"],
    block_width: Annotated[
        int,
        typer.Option(
            help="Inner width of the residual blocks (WDSR's wide activation; 0 = their own width). Grows a "
            "--init-from bundle exactly."
        ),
    ] = D["block_width"],
    attention: Annotated[
        bool,
        typer.Option(help="RCAN's channel attention in every residual block (starts as the identity: grows exactly)."),
    ] = D["attention"],
    lattice_free: Annotated[
        bool,
        typer.Option(help="End the generator in a layer that removes any 8-px periodic part of its output (no grid)."),
    ] = D["lattice_free"],
    lattice_free_window: Annotated[
        int,
        typer.Option(
            help="With --lattice-free: remove that part round each pixel over this many px (a multiple of 8, e.g. "
            "64) instead of over the whole cell: also a grid drawn in parts of a cell. 0 = per cell."
        ),
    ] = D["lattice_free_window"],
    padding: Annotated[
        str,
        typer.Option(
            help=f"Convolution borders: {', '.join(PADDINGS)} (reflect: mirrored pixels, no frame round the output; "
            "needs --upsample resize or bilinear)."
        ),
    ] = D["padding"],
    precision: Annotated[
        str,
        typer.Option(
            help="float32, or bf16: bfloat16 arithmetic with float32 weights, about 2x faster on CPUs with AMX or "
            "AVX-512 BF16 (lscpu); the bundle is float32 either way, and --resume may switch."
        ),
    ] = D["precision"],
    dropout: Annotated[
        bool, typer.Option(help="pix2pix's decoder dropout (its noise source); --no-dropout for faithful models.")
    ] = D["dropout"],
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training images.")] = D["epochs"],
    batch: Annotated[int, typer.Option(min=1, help="Images per step (per replica).")] = D["batch"],
    lr: Annotated[float, typer.Option(help="Adam learning rate (both nets).")] = D["lr"],
    l1_weight: Annotated[float, typer.Option(help="Weight of the L1 term (pix2pix: 100).")] = D["l1_weight"],
    pixel_loss: Annotated[
        str,
        typer.Option(help=f"The pixel term --l1-weight weighs: {', '.join(PIXEL_LOSSES)} (mse: for a PSNR fine-tune)."),
    ] = D["pixel_loss"],
    gan_weight: Annotated[
        float, typer.Option(help="Weight of the GAN term (pix2pix: 1); 0 = L1 alone, no discriminator.")
    ] = D["gan_weight"],
    ndf: Annotated[
        int,
        typer.Option(min=1, help="Discriminator base width (pix2pix: 64; the default 16 trains ~2x faster on CPU)."),
    ] = D["ndf"],
    disc_scales: Annotated[
        int,
        typer.Option(
            help="Discriminator scales: 1 (pix2pix's PatchGAN) or 2-4 (pix2pixHD's multi-scale: one more PatchGAN "
            "per halving of the image, to see streaks and layouts whole)."
        ),
    ] = D["disc_scales"],
    gan_loss: Annotated[str, typer.Option(help=f"Adversarial loss: {', '.join(GAN_LOSSES)} (pix2pix: bce).")] = D[
        "gan_loss"
    ],
    feature_matching: Annotated[
        float, typer.Option(help="Weight of pix2pixHD's discriminator feature-matching term (0 = off; 10).")
    ] = D["feature_matching"],
    r1: Annotated[float, typer.Option(help="R1 gradient penalty gamma on real images (0 = off).")] = D["r1"],
    lattice: Annotated[
        float,
        typer.Option(help="Penalty on the 8-px-periodic part of the error (checkerboards, hatches); 0 = off."),
    ] = D["lattice"],
    lattice_window: Annotated[
        int,
        typer.Option(
            help="Take the lattice penalty per window of this many px (a multiple of 8; 0 = per crop): catches a "
            "grid drawn in part of a crop, which a lattice-free layer leaves."
        ),
    ] = D["lattice_window"],
    texture: Annotated[
        float,
        typer.Option(help="Weight of the detail-energy term (the target's fine detail in each 8x8 block); 0 = off."),
    ] = D["texture"],
    spectral_norm: Annotated[
        bool, typer.Option(help="Spectral normalisation on the discriminator (replaces its BatchNorm).")
    ] = D["spectral_norm"],
    d_lr: Annotated[
        float | None, typer.Option(help="Discriminator learning rate (default: --lr); lower = slower discriminator.")
    ] = D["d_lr"],
    val_fraction: Annotated[float, typer.Option(help="Share of images held out for previews and metrics.")] = D[
        "val_fraction"
    ],
    checkpoint_steps: Annotated[int, typer.Option(min=1, help="Also checkpoint every N steps inside an epoch.")] = D[
        "checkpoint_steps"
    ],
    input_side: Annotated[str, typer.Option(help="paired AB images: which half is the input (left/right).")] = D[
        "input_side"
    ],
    flip_vertical: Annotated[bool, typer.Option(help="Also flip vertically at random (textures, skies).")] = D[
        "flip_vertical"
    ],
    max_images: Annotated[int | None, typer.Option(help="Use at most this many images (quick trials).")] = D[
        "max_images"
    ],
    scale_range: Annotated[
        str | None,
        typer.Option(
            help="LO,HI: crop at a random scale of the native pixels (1 = native; e.g. 0.25,1) instead of whole "
            "scenes shrunk to 256-333 px."
        ),
    ] = None,
    dream: Annotated[
        str | None,
        typer.Option(
            help="LO,HI (sr8x): make each input at LO-HI times the 8x downscale (e.g. 1.5,4), so the model learns "
            "to invent detail its input cannot hold (an imagining upscaler, sr8x-dream)."
        ),
    ] = None,
    degrade: Annotated[
        str,
        typer.Option(
            help="sr8x inputs as photos arrive: none; jpeg (JPEG at quality 30-95, a fifth left clean: a model "
            "robust to compressed photos); full (blur, resize, noise and JPEG in a random order, Real-ESRGAN's idea).",
        ),
    ] = D["degrade"],
    init_from: Annotated[
        str | None, typer.Option(help="Start the generator from this bundle (name or folder): fine-tuning.")
    ] = D["init_from"],
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue the run in --out from its last checkpoint, with its saved settings (options given "
            "here replace the ones that may change: --epochs, --lr, loss weights...)."
        ),
    ] = False,
    export: Annotated[
        Path | None, typer.Option(help="Write the bundle of the run's latest checkpoint to this folder and stop.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for data order, augmentation and initial weights.")] = D["seed"],
    distribute: Annotated[str, typer.Option(help="none, mirrored (all local GPUs) or multiworker (TF_CONFIG).")] = D[
        "distribute"
    ],
    peer_timeout: Annotated[
        float, typer.Option(help="multiworker: seconds to wait for every peer worker before giving up.")
    ] = D["peer_timeout"],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a pix2pix generator: GAN + L1, checkpoints every epoch, a bundle that `render --model OUT` uses."""
    if task not in TASKS:
        raise typer.BadParameter(f"expected one of {', '.join(TASKS)}", param_hint="--task")
    if preset not in PRESETS:
        raise typer.BadParameter(f"expected one of {', '.join(PRESETS)}", param_hint="--preset")
    scales = _pair(scale_range, "--scale-range", "0.25,1")  # the other values are checked by TrainConfig
    dreams = _pair(dream, "--dream", "1.5,4")
    if out is None:
        raise fail("--out DIR is required (the run folder)")
    saved = _saved_settings(out) if resume else None
    if data is None and export is None and saved is None:
        raise fail("DATA is required (the folder of training images)")
    from ..train.fit import precision_note
    from ..train.fit import train as run

    given = locals()  # every option by name: those that are TrainConfig fields go into the config as they are
    as_given = {k: given[k] for k in D if k in given and k not in ("preset", "scale_range", "dream")}
    preset = None if base_width is not None else preset
    fields = dict(
        as_given, data=str(data or ""), task=task, out=str(out), preset=preset, scale_range=scales, dream=dreams
    )
    if saved is not None:
        fields = _over_saved(ctx, fields, saved)
    cfg = TrainConfig(**fields)
    if note := precision_note(cfg):
        err.print(f"note: {plain(note)}")

    def aborted(why: str | None) -> None:  # a multiworker worker ended from its watchdog thread (train/cluster.py)
        if why is None:
            err.print("interrupted: nothing partial was written")
        else:
            fail_line(why)

    def skipped(path: Path, reason: str) -> None:
        err.print(f"skipped {plain(path)}: {plain(reason)}")

    with progress_bar(quiet, "epoch -", fields=("losses", "speed")) as update:

        def status(s) -> None:
            speed = f"{s.images_per_s:.1f} img/s" if s.images_per_s else ""
            losses = " ".join(f"{k} {v:.3f}" for k, v in s.losses.items())
            update(
                s.epoch * s.steps + s.step,
                s.epochs * s.steps,
                f"epoch {s.epoch + 1}/{s.epochs}",
                losses=losses,
                speed=speed,
            )
            if s.message and not quiet:
                err.print(plain(s.message))

        folder = run(cfg, resume=resume, on_status=status, on_skip=skipped, export_to=export, on_abort=aborted)
    if not quiet:
        from ..model.bundle import read_card

        flag = "--model" if read_card(folder).spec.scale > 1 else "--chain"  # a 1x model is no upscaler: --chain
        err.print(f"bundle written to {plain(folder)}: render with `upscale2x render IMAGE {flag} {plain(folder)}`")


def _pair(text: str | None, flag: str, example: str) -> tuple[float, float] | None:
    """``"LO,HI"`` -> (lo, hi) (TrainConfig checks the range); one error line if it is not two numbers."""
    if text is None:
        return None
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise fail(f"{flag}: expected LO,HI such as {example}, got {text!r}") from None
    return lo, hi


def _saved_settings(out: Path) -> dict | None:
    """The settings a run in ``out`` saved (None where it has none: train says so with its own error)."""
    path = out / "train_config.json"
    if not path.is_file():
        return None
    return asdict(TrainConfig.load(path))


# The width is one choice made by either option: typing one replaces both saved fields.
_OPTIONS_OF = {"preset": ("preset", "base_width"), "base_width": ("preset", "base_width")}


def _over_saved(ctx: typer.Context, fields: dict, saved: dict) -> dict:
    """A resumed run's settings: the saved ones, replaced by the options typed on this command line.

    A flag left at its default keeps the run's value, so ``train --out RUN --resume --epochs 300`` continues RUN as
    it was started; a flag given (``--lr 1e-4``) replaces it, and train's own check refuses one the run fixed.
    """

    def typed(name: str) -> bool:
        sources = (ctx.get_parameter_source(n) for n in _OPTIONS_OF.get(name, (name,)))
        return any(getattr(source, "name", None) in _TYPED for source in sources)

    return {k: (v if typed(k) or k not in saved else saved[k]) for k, v in fields.items()}


_TYPED = ("COMMANDLINE", "ENVIRONMENT")  # click's ParameterSource names (typer vendors click)
