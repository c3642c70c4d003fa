"""Render a file: read, build the chain the request implies, stream the result into an atomic writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bundle import Bundle, default_bundle, load_bundle, resolve_bundle
from .errors import RenderError
from .imageio import DEFAULT_MAX_PIXELS, read_image
from .imagewrite import EXTENSION, ImageWriter, check_target, format_of
from .pipeline import Chain, Stage
from .scaleplan import UPSCALER, upscaler_stages
from .tiling import Progress

MAX_SCALE = 512


@dataclass(frozen=True)
class RenderOptions:
    """What `upscale2x render` can be asked for."""

    scale: int | None = None  # total scale; None = 8, or the chain's own scale with `chain`
    model: str | None = None  # sr8x bundle (name or folder) for --scale; None = the shipped default
    chain: tuple[str, ...] = ()  # bundles run in order, each one's output the next one's input
    tiles: bool = True  # False: run each stage on the whole padded image
    overlap: int | None = None  # input px between cells; None = a quarter cell
    batch: int = 8  # cells per model call
    fmt: str | None = None  # png / tiff / jpg; None = from the output name, else png
    bits: int | None = None  # 8 or 16; None = as the input (8 for JPEG)
    dpi: float | None = None  # written into the file; None = as the input
    quality: int = 95  # JPEG quality
    seed: int | None = None  # dropout noise seed: None renders the deterministic output
    overwrite: bool = False  # replace an existing output
    max_pixels: int = DEFAULT_MAX_PIXELS  # input size limit (decompression bombs)

    def __post_init__(self) -> None:
        if self.scale is not None and not 2 <= self.scale <= MAX_SCALE:
            raise RenderError(f"--scale must be 2..{MAX_SCALE}, got {self.scale}")
        if self.batch < 1:
            raise RenderError(f"--batch must be >= 1, got {self.batch}")
        if self.bits not in (None, 8, 16):
            raise RenderError(f"--bits must be 8 or 16, got {self.bits}")
        if self.dpi is not None and not 1 <= self.dpi <= 100_000:
            raise RenderError(f"--dpi must be 1..100000, got {self.dpi}")


def _load(name: str, cache: dict[str, Bundle]) -> Bundle:
    if name not in cache:
        cache[name] = load_bundle(resolve_bundle(name))
    return cache[name]


def build_chain(opts: RenderOptions) -> tuple[Chain, int]:
    """The chain for ``opts`` and the total scale to deliver (which may be below the chain's own, see --scale)."""
    cache: dict[str, Bundle] = {}
    if opts.chain and opts.model:
        raise RenderError("give --model or --chain, not both")
    if opts.chain:
        bundles = [_load(n, cache) for n in opts.chain]
    else:
        name = opts.model or str(default_bundle("sr8x"))
        b = _load(name, cache)
        if b.spec.scale != UPSCALER:
            raise RenderError(
                f"{name}: a {b.card.task} model renders at x{b.spec.scale}; --scale needs an 8x (sr8x) model; "
                "use --chain to run it"
            )
        bundles = [b] * upscaler_stages(opts.scale or UPSCALER, at_least_one=True)
    # One Stage per distinct bundle and noise: a bundle used twice (--scale 64) reuses its traced model function.
    # --seed varies the first stage only (the policy documented on Stage).
    stages: dict[tuple[int, int | None], Stage] = {}
    chain_stages = []
    for i, b in enumerate(bundles):
        seed = opts.seed if i == 0 else None
        if (id(b), seed) not in stages:
            stages[id(b), seed] = Stage(b, opts.overlap, opts.batch, opts.tiles, noise_seed=seed)
        chain_stages.append(stages[id(b), seed])
    chain = Chain(chain_stages)
    scale = opts.scale or chain.scale
    if scale > chain.scale:
        raise RenderError(f"--scale {scale} is more than the chain's x{chain.scale}")
    return chain, scale


def default_output(src: Path, scale: int, fmt: str | None) -> Path:
    """``IN_x8.png`` beside the input (extension from ``fmt``, else png)."""
    ext = EXTENSION.get((fmt or "png").lower(), ".png")
    return src.with_name(f"{src.stem}_x{scale}{ext}")


def render_file(
    src: str | Path, dst: str | Path | None, opts: RenderOptions, on_progress: Progress | None = None
) -> Path:
    """Render ``src`` into ``dst`` (default beside it); returns the output path.

    Raises ImageReadError / ImageWriteError / ModelError / RenderError / TileError, all before anything is
    written where possible; an interrupted render leaves no output file.
    """
    src = Path(src)
    pic = read_image(src, opts.max_pixels)
    scale_hint = opts.scale or UPSCALER
    out = Path(dst) if dst is not None else default_output(src, scale_hint, opts.fmt)
    fmt = format_of(out, opts.fmt)
    check_target(out, opts.overwrite)
    chain, scale = build_chain(opts)
    if dst is None and scale != scale_hint:
        out = default_output(src, scale, opts.fmt)
        check_target(out, opts.overwrite)
    image = pic.rgb if pic.alpha is None else np.concatenate([pic.rgb, pic.alpha[..., None]], axis=2)
    h, w = pic.size
    bits = opts.bits or (8 if fmt == "jpeg" else pic.info.bits)
    dpi = (opts.dpi, opts.dpi) if opts.dpi else pic.info.dpi
    writer = ImageWriter(
        out,
        h * scale,
        w * scale,
        image.shape[2],
        bits=bits,
        fmt=fmt,
        dpi=dpi,
        icc=pic.info.icc,
        quality=opts.quality,
        overwrite=opts.overwrite,
    )
    with writer:
        if scale == chain.scale:
            chain.run(image, writer.write, on_progress)
        else:  # e.g. --scale 16: two 8x stages, then an area downscale by 4
            from .preprocess import area_resize

            writer.write(area_resize(chain.run(image, None, on_progress), h * scale, w * scale))
    return out
