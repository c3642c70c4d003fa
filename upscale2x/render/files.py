"""Render a file: read, build the chain the request implies, stream the result into an atomic writer."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RenderError
from ..io.read import DEFAULT_MAX_PIXELS, EXTENSIONS, ImageInfo, read_image
from ..io.write import EXTENSION, ImageWriter, format_of
from ..model.bundle import default_bundle, models_dir, read_card, resolve_bundle
from ..model.engines import ENGINES
from ..model.tasks import TaskSpec
from .ensemble import check_size
from .scaleplan import UPSCALER, upscaler_stages
from .stages import Chain, Stage, check_untiled, no_variant, open_stage
from .tiling import Progress, TileSpec, overlap_px

MAX_SCALE = 512
JPEG_BUNDLE = "sr8x-jpeg"  # the shipped upscaler trained on JPEG inputs (--degrade jpeg)
JPEG_HINT = f"is a JPEG: the default sr8x enlarges its 8x8 blocks, --model {JPEG_BUNDLE} reads through them"


@dataclass(frozen=True)
class RenderOptions:
    """What `upscale2x render` can be asked for."""

    scale: int | None = None  # total scale; None = 8, or the chain's own scale with `chain`
    model: str | None = None  # sr8x bundle (name or folder) for --scale; None = the shipped default
    chain: tuple[str, ...] = ()  # bundles run in order, each one's output the next one's input
    tiles: bool = True  # False: run each stage on the whole padded image
    overlap: float | None = None  # between cells: input px (>= 1), or a fraction of each stage's cell (< 1)
    batch: int = 8  # cells per model call
    fmt: str | None = None  # png / tiff / jpg; None = from the output name, else png
    bits: int | None = None  # 8 or 16; None = as the input (8 for JPEG)
    dpi: float | None = None  # written into the file; None = as the input
    quality: int = 95  # JPEG quality
    seed: int | None = None  # dropout noise seed: None renders the deterministic output
    overwrite: bool = False  # replace an existing output
    max_pixels: int = DEFAULT_MAX_PIXELS  # input size limit (decompression bombs)
    engine: str = "auto"  # keras / litert / auto (LiteRT when a bundle has a sound export): engines.py
    ensemble: int = 1  # geometric self-ensemble: each cell run this many times flipped/turned, averaged (ensemble.py)

    def __post_init__(self) -> None:
        if self.scale is not None and not 2 <= self.scale <= MAX_SCALE:
            raise RenderError(f"--scale must be 2..{MAX_SCALE}, got {self.scale}")
        if self.batch < 1:
            raise RenderError(f"--batch must be >= 1, got {self.batch}")
        if self.overlap is not None and not (self.overlap >= 0 and (self.overlap <= 0.5 or self.overlap % 1 == 0)):
            raise RenderError(
                f"--overlap must be pixels (0, 1, 2, ...) or a fraction of a cell up to 0.5, got {self.overlap}"
            )
        if self.bits not in (None, 8, 16):
            raise RenderError(f"--bits must be 8 or 16, got {self.bits}")
        if self.engine not in ENGINES:
            raise RenderError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        check_size(self.ensemble)
        if self.dpi is not None and not 1 <= self.dpi <= 100_000:
            raise RenderError(f"--dpi must be 1..100000, got {self.dpi}")


@dataclass(frozen=True)
class RenderPlan:
    """A render worked out from the cards alone (no TensorFlow, no weights): what runs, at what scale."""

    folders: tuple[Path, ...]  # the bundle of each stage, in order (a folder may repeat: --scale 64)
    specs: tuple[TaskSpec, ...]  # each stage's task
    overlaps: tuple[int, ...]  # each stage's overlap in its input pixels
    scale: int  # the total scale delivered (at most the chain's own; the rest is an area downscale)

    @property
    def chain_scale(self) -> int:
        return int(np.prod([s.scale for s in self.specs]))


def plan_render(opts: RenderOptions) -> RenderPlan:
    """Plan ``opts`` from the bundles' cards; raises ModelError / RenderError / TileError before any load."""
    if opts.chain and opts.model:
        raise RenderError("give --model or --chain, not both")
    if opts.chain:
        folders = [resolve_bundle(n) for n in opts.chain]
        cards = [read_card(f) for f in folders]
    else:
        folder = resolve_bundle(opts.model) if opts.model else default_bundle("sr8x")
        card = read_card(folder)
        if card.spec.scale != UPSCALER:
            name = opts.model or folder
            raise RenderError(
                f"{name}: a {card.task} model (x{card.spec.scale}) is not an upscaler; run it with --chain {name} "
                f"(or --chain {name},sr8x to upscale its output)"
                if opts.scale is None
                else f"{name}: a {card.task} model renders at x{card.spec.scale}; --scale needs an 8x (sr8x) model; "
                "use --chain to run it"
            )
        n = upscaler_stages(opts.scale or UPSCALER, at_least_one=True)
        folders, cards = [folder] * n, [card] * n
    specs = tuple(c.spec for c in cards)
    overlaps = tuple(overlap_px(opts.overlap, s.in_cell) for s in specs)
    for s, overlap in zip(specs, overlaps, strict=True):
        TileSpec(s.in_cell, s.scale, overlap, opts.batch)  # raises TileError for an overlap this cell cannot take
    if opts.seed is not None and cards[0].training.get("dropout") is False:
        raise no_variant(folders[0])
    chain_scale = int(np.prod([s.scale for s in specs]))
    scale = opts.scale or chain_scale
    if scale > chain_scale:
        raise RenderError(f"--scale {scale} is more than the chain's x{chain_scale}")
    return RenderPlan(tuple(folders), specs, overlaps, scale)


def build_chain(plan: RenderPlan, opts: RenderOptions) -> Chain:
    """Load the plan's bundles on the chosen engine and make its chain; --seed varies the first stage only."""
    stages: dict[tuple[Path, int | None, int], Stage] = {}  # a bundle used twice (--scale 64) shares its Stage
    chain, notes = [], []
    for i, (folder, overlap) in enumerate(zip(plan.folders, plan.overlaps, strict=True)):
        seed = opts.seed if i == 0 else None
        key = (folder, seed, overlap)
        if key not in stages:
            engine = opts.engine if opts.tiles else "keras"  # --no-tiles (whole images) runs on Keras only
            stages[key], note = open_stage(
                folder, engine, seed, overlap=overlap, batch=opts.batch, tiles=opts.tiles, ensemble=opts.ensemble
            )
            notes += [note] if note and note not in notes else []
        chain.append(stages[key])
    return Chain(chain, notes)


def default_output(src: Path, scale: int, fmt: str | None) -> Path:
    """``IN_x8.png`` beside the input (extension from ``fmt``, else png)."""
    ext = EXTENSION.get((fmt or "png").lower(), ".png")
    return src.with_name(f"{src.stem}_x{scale}{ext}")


def render_file(
    src: str | Path,
    dst: str | Path | None,
    opts: RenderOptions,
    on_progress: Progress | None = None,
    on_note: Callable[[str], None] | None = None,
    on_chain: Callable[[Chain], None] | None = None,
) -> Path:
    """Render ``src`` into ``dst`` (default beside it); returns the output path.

    Raises ImageReadError / ImageWriteError / ModelError / RenderError / TileError, all before anything is
    written where possible; an interrupted render leaves no output file.
    """
    plan = plan_render(opts)  # cards only: every option is checked before any model loads
    return _render_into(Path(src), dst, opts, plan, _lazy_chain(plan, opts, on_note, on_chain), on_progress, on_note)


def _lazy_chain(plan: RenderPlan, opts: RenderOptions, on_note, on_chain) -> Callable[[], Chain]:
    """The chain, built (models loaded, engines chosen, notes passed on) the first time it is asked for: after
    the first input and output have been checked, and only once for a batch."""
    chains: list[Chain] = []

    def chain() -> Chain:
        if not chains:
            chains.append(build_chain(plan, opts))
            for note in chains[0].notes if on_note else ():
                on_note(note)
            if on_chain:
                on_chain(chains[0])
        return chains[0]

    return chain


@dataclass
class BatchResult:
    """What `upscale2x render A B folder/ -o out/` did."""

    written: list[Path]
    skipped: list[Path]  # outputs that already existed
    failures: list[str]  # one line per input that failed


def batch_inputs(srcs: list[Path]) -> list[Path]:
    """The image files of ``srcs`` in order: files as given, folders' images sorted; a missing path stays (it
    fails when its turn comes, with the others rendered)."""
    from ..io.read import image_files

    files: list[Path] = []
    for s in srcs:
        files += image_files(s) if s.is_dir() else [s]
    return files


def render_batch(
    srcs: list[str | Path],
    out_dir: str | Path | None,
    opts: RenderOptions,
    on_file: Callable[[int, int, Path], None] | None = None,
    on_progress: Progress | None = None,
    on_note: Callable[[str], None] | None = None,
    on_chain: Callable[[Chain], None] | None = None,
) -> BatchResult:
    """Render many files with the models loaded once: outputs ``IN_x8.png`` in ``out_dir`` (created) or beside
    each input; existing outputs are skipped (without ``opts.overwrite``); a failure is recorded and the rest go on.
    """
    from ..errors import Upscale2xError

    plan = plan_render(opts)
    files = batch_inputs([Path(s) for s in srcs])
    if not files:
        raise RenderError(
            f"{', '.join(str(s) for s in srcs)}: no images found (expected {', '.join(sorted(EXTENSIONS))})"
        )
    outs = [default_output(src, plan.scale, opts.fmt) for src in files]
    if out_dir is not None:
        out_dir = Path(out_dir)
        outs = [out_dir / o.name for o in outs]
    _check_batch_outputs(files, outs, out_dir)
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RenderError(f"{out_dir}: cannot create the output folder ({e.strerror or e})") from None
    on_note = _hint_once(on_note)
    chain = _lazy_chain(plan, opts, on_note, on_chain)
    result = BatchResult([], [], [])
    for i, (src, out) in enumerate(zip(files, outs, strict=True)):
        if on_file:
            on_file(i, len(files), src)
        if out.exists() and not opts.overwrite:
            result.skipped.append(out)
            continue
        try:
            result.written.append(_render_into(src, out, opts, plan, chain, on_progress, on_note))
        except Upscale2xError as e:
            result.failures.append(str(e) if str(src) in str(e) else f"{src}: {e}")
    return result


def _check_batch_outputs(files: list[Path], outs: list[Path], out_dir: Path | None) -> None:
    """Raise RenderError before anything runs: ``-o`` a file (or named like one) for a batch, or two inputs whose
    outputs would share a name (``a/x.png b/x.png -o out/``: the second would be skipped as already there)."""
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise RenderError(f"{out_dir}: not a folder (several inputs, or a folder of them, need -o FOLDER)")
        if not out_dir.exists() and out_dir.suffix.lower() in EXTENSIONS:
            raise RenderError(
                f"{out_dir}: named like an image file, but the input is a folder or several images: give -o FOLDER"
            )
        if out_dir.is_dir() and not os.access(out_dir, os.W_OK | os.X_OK):
            raise RenderError(f"{out_dir}: cannot write into this folder (permission denied)")
    seen: dict[Path, Path] = {}
    for src, out in zip(files, outs, strict=True):
        if out in seen and seen[out] != src:
            raise RenderError(
                f"{seen[out]} and {src} would both be written to {out}; render them into different folders"
            )
        seen[out] = src


def jpeg_hint(src: Path, info: ImageInfo, opts: RenderOptions) -> str | None:
    """The note for a JPEG input left to the default upscaler while a JPEG-trained one is shipped, else None."""
    if info.format != "JPEG" or opts.model or opts.chain or not (models_dir() / JPEG_BUNDLE).is_dir():
        return None
    return f"{src} {JPEG_HINT}"


def _hint_once(on_note: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """``on_note`` passing the JPEG hint for the first JPEG only (a folder of camera photos would repeat it)."""
    if on_note is None:
        return None
    given: list[str] = []

    def note(text: str) -> None:
        if text.endswith(JPEG_HINT):
            if given:
                return
            given.append(text)
        on_note(text)

    return note


def _render_into(src: Path, dst, opts, plan: RenderPlan, chain: Callable[[], Chain], on_progress, on_note) -> Path:
    scale = plan.scale
    out = Path(dst) if dst is not None else default_output(src, scale, opts.fmt)
    fmt = format_of(out, opts.fmt)
    pic = read_image(src, opts.max_pixels)
    if pic.info.frames > 1 and on_note:
        on_note(f"{src}: has {pic.info.frames} frames or pages; rendering the first")
    if on_note and (hint := jpeg_hint(src, pic.info, opts)):
        on_note(hint)
    image = pic.rgb if pic.alpha is None else np.concatenate([pic.rgb, pic.alpha[..., None]], axis=2)
    h, w = pic.size
    bits = opts.bits or (8 if fmt == "jpeg" else pic.info.bits)
    dpi = (opts.dpi, opts.dpi) if opts.dpi else pic.info.dpi
    writer = ImageWriter(  # checks the output name, format and bit depth: still before any model loads
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
    if not opts.tiles:
        check_untiled(h, w, plan.specs)  # before stage 1 runs, not after
    from ..io.atomic import clear_stale

    for stale in clear_stale(out):
        if on_note:
            on_note(f"removed {stale}: a temporary file left by a killed render")
    c = chain()
    with writer:
        c.run_to(image, h * scale, w * scale, writer.write, on_progress)  # any scale, streamed
    return out
