"""The print-series spec: a TOML file (documented in README.md) parsed into frozen dataclasses.

Unknown sections or fields are errors, not silently ignored: a typo in a spec should not cost a night's render.
"""

from __future__ import annotations

import glob
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import SeriesError, Upscale2xError
from ..fieldcheck import build
from ..io.read import EXTENSIONS
from ..io.write import EXTENSION

GENERATORS = ("blobs", "gradients", "noise")
MAX_PRINT_PIXELS = 65536  # per side
MAX_MIX = 8  # images blended into one start, at most
MAX_CANDIDATES = 100_000  # candidates of a whole series (sources x candidates): more is a typo, refused at once
CM_PER_INCH = 2.54


@dataclass(frozen=True)
class Sources:
    images: tuple[str, ...] = ()  # files, folders or globs (relative to the spec file)
    generated: int = 0  # number of generated starts (for see models: a series needs no inputs)
    generator: str = "blobs"  # blobs / gradients / noise
    size: int = 256  # side of generated starts and mixes, in pixels
    mix: int = 0  # >= 2: blend this many of the images into each start (the images are then the mixes' pool)
    mixes: int = 1  # how many such starts (each its own images; each candidate its own weights)


@dataclass(frozen=True)
class Variation:
    dropout: bool = True  # keep dropout on as the noise source, masks fixed by each candidate's seed
    shift: int = 8  # max random shift of the source, in pixels
    rotate: float = 4.0  # max random rotation, in degrees
    contrast: float = 0.1  # max random contrast change (0.1 = ±10 %)


@dataclass(frozen=True)
class Sheet:
    columns: int = 6  # thumbnails per row
    thumb: int = 192  # thumbnail side in pixels
    per_sheet: int = 48  # thumbnails per contact-sheet file


@dataclass(frozen=True)
class Print:
    size: str = "30x30cm"  # WxH with unit cm, mm or in, or a paper: A0..A6, Letter, Legal, Tabloid (+ landscape)
    dpi: int = 300  # pixels per inch, also written into the file
    format: str = "tiff"  # tiff or png
    bits: int = 16  # 8 or 16
    fit: str = "crop"  # another aspect than the candidate's: crop (fill the print) or pad (all of it, white margins)


@dataclass(frozen=True)
class SeriesSpec:
    name: str  # used in output names
    model: str  # first stage: a see model (or any bundle) that makes the candidates
    upscaler: str = "sr8x"  # 8x bundle repeated for full-size prints (default: default_upscaler(model))
    candidates: int = 8  # candidates per source
    seed: int = 0  # base seed of the whole series
    sources: Sources = field(default_factory=Sources)
    variation: Variation = field(default_factory=Variation)
    sheet: Sheet = field(default_factory=Sheet)
    print: Print = field(default_factory=Print)
    root: Path = Path(".")  # folder of the spec file (paths are relative to it)


_SECTIONS = {"sources": Sources, "variation": Variation, "sheet": Sheet, "print": Print}


def load_spec(path: str | Path, **overrides: Any) -> SeriesSpec:
    """Read and check a spec; ``overrides`` (CLI flags) replace top-level fields. Raises :class:`SeriesError`."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SeriesError(f"{path}: no such spec file") from None
    except IsADirectoryError:
        raise SeriesError(f"{path}: is a folder; give the spec file (.toml)") from None
    except OSError as e:
        raise SeriesError(f"{path}: cannot read ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SeriesError(f"{path}: not valid TOML ({e})") from None
    top = dict(raw.pop("series", {}))
    for key, cls in _SECTIONS.items():
        if key in raw:
            top[key] = build(cls, raw.pop(key), f"{path} [{key}]", SeriesError)
    if raw:
        expected = "], [".join(["series", *_SECTIONS])
        raise SeriesError(f"{path}: unknown section [{next(iter(raw))}]; expected [{expected}]")
    top.update({k: v for k, v in overrides.items() if v is not None})
    if "sources" in top and isinstance(top["sources"], Sources) and isinstance(top["sources"].images, list):
        top["sources"] = replace(top["sources"], images=tuple(top["sources"].images))
    for required in ("name", "model"):
        if required not in top:
            raise SeriesError(f"{path}: [series] needs a {required!r} field")
    if "upscaler" not in top:
        top["upscaler"] = default_upscaler(top["model"])
    spec = build(SeriesSpec, {**top, "root": path.resolve().parent}, f"{path} [series]", SeriesError)
    check(spec, path)
    files = source_files(spec)  # every named file, folder or glob must exist: a typo is a spec error, not a failed run
    if spec.sources.mix > len(files):
        raise SeriesError(f"{path}: [sources] mix = {spec.sources.mix} needs that many images; found {len(files)}")
    return spec


IMAGINING_UPSCALER = "sr8x-dream"  # the upscaler that keeps inventing detail at every octave (up-imagining)


def default_upscaler(model: object) -> str:
    """The upscaler a spec gets when it names none: the imagining one after a see model (a Learning-to-See world is
    smooth at its own pixels, and a faithful upscaler keeps it smooth), where it is shipped; else sr8x. A model that
    cannot be read here is left for the run to report."""
    from ..model.bundle import read_card, resolve_bundle

    try:
        see = read_card(resolve_bundle(str(model))).task == "see"
        resolve_bundle(IMAGINING_UPSCALER)
    except Upscale2xError:
        return "sr8x"
    return IMAGINING_UPSCALER if see else "sr8x"


def check(spec: SeriesSpec, where: Path) -> None:
    """Raise :class:`SeriesError` for values that cannot work."""
    s, v, p = spec.sources, spec.variation, spec.print
    problems = [
        (spec.candidates >= 1, f"candidates must be >= 1, got {spec.candidates}"),
        (
            spec.candidates <= MAX_CANDIDATES,
            f"candidates must be at most {MAX_CANDIDATES:,} (a series of that many is a typo), got {spec.candidates:,}",
        ),
        (s.generated >= 0, f"[sources] generated must be >= 0, got {s.generated}"),
        (s.generated <= MAX_CANDIDATES, f"[sources] generated must be at most {MAX_CANDIDATES:,}, got {s.generated:,}"),
        (bool(s.images) or s.generated > 0, "[sources] needs images or generated > 0"),
        (s.mix == 0 or 2 <= s.mix <= MAX_MIX, f"[sources] mix must be 0 (off) or 2..{MAX_MIX} images, got {s.mix}"),
        (s.mix == 0 or bool(s.images), "[sources] mix needs images to blend"),
        (1 <= s.mixes <= MAX_CANDIDATES, f"[sources] mixes must be 1..{MAX_CANDIDATES:,}, got {s.mixes:,}"),
        (s.generator in GENERATORS, f"[sources] generator must be one of {', '.join(GENERATORS)}"),
        (16 <= s.size <= 4096, f"[sources] size must be 16..4096, got {s.size}"),
        (v.shift >= 0 and v.rotate >= 0 and 0 <= v.contrast < 1, "[variation] values must be >= 0 (contrast < 1)"),
        (spec.sheet.columns >= 1 and spec.sheet.thumb >= 16 and spec.sheet.per_sheet >= 1, "[sheet] values too small"),
        (p.format in ("tiff", "png") and p.bits in (8, 16), "[print] format must be tiff or png, bits 8 or 16"),
        (p.fit in ("crop", "pad"), f"[print] fit must be crop or pad, got {p.fit!r}"),
        (re.fullmatch(r"[A-Za-z0-9_.-]+", spec.name) is not None, f"name: letters, digits, . _ - only: {spec.name!r}"),
    ]
    for ok, message in problems:
        if not ok:
            raise SeriesError(f"{where}: {message}")
    print_pixels(p.size, p.dpi, where)


# Paper sizes (portrait, width x height); "A3 landscape" turns one.
PAPERS = {
    **{
        f"a{n}": (f"{w}", f"{h}", "mm")
        for n, (w, h) in enumerate(
            [(841, 1189), (594, 841), (420, 594), (297, 420), (210, 297), (148, 210), (105, 148)]
        )
    },
    "letter": ("8.5", "11", "in"),
    "legal": ("8.5", "14", "in"),
    "tabloid": ("11", "17", "in"),
}


def print_pixels(size: str, dpi: int, where: Path | str = "print size") -> tuple[int, int]:
    """(width, height) in pixels of a print ``size`` (50x50cm, 297x420mm, 8x10in, or a paper: A0..A6, Letter,
    Legal, Tabloid, with "landscape" to turn it) at ``dpi``."""
    paper = re.fullmatch(r"\s*([A-Za-z]+\d?)(?:[\s_-]+(portrait|landscape))?\s*", size)
    if paper and paper[1].lower() in PAPERS:
        w, h, unit = PAPERS[paper[1].lower()]
        if (paper[2] or "").lower() == "landscape":
            w, h = h, w
        size = f"{w}x{h}{unit}"
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(cm|mm|in)\s*", size)
    if not m:
        raise SeriesError(
            f"{where}: print size {size!r} is not like 50x50cm, 297x420mm, 8x10in or a paper "
            f"({', '.join(p.upper() if p[0] == 'a' else p.title() for p in PAPERS)}, optionally landscape)"
        )
    if not 1 <= dpi <= 10000:
        raise SeriesError(f"{where}: dpi must be 1..10000, got {dpi}")
    per_inch = {"cm": CM_PER_INCH, "mm": 10 * CM_PER_INCH, "in": 1.0}[m[3]]
    w, h = (round(float(m[i]) / per_inch * dpi) for i in (1, 2))
    if min(w, h) < 1 or max(w, h) > MAX_PRINT_PIXELS:
        raise SeriesError(f"{where}: {size} at {dpi} dpi is {w}x{h} px; each side must be 1..{MAX_PRINT_PIXELS}")
    return w, h


def source_files(spec: SeriesSpec) -> list[Path]:
    """The image files the spec names, in order, de-duplicated. Missing entries raise :class:`SeriesError`."""
    files: list[Path] = []
    for entry in spec.sources.images:
        p = spec.root / entry
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in EXTENSIONS)
        elif any(ch in entry for ch in "*?["):
            found = sorted(Path(q) for q in glob.glob(str(p)) if Path(q).suffix.lower() in EXTENSIONS)
        else:
            found = [p] if p.exists() else []
        if not found:
            raise SeriesError(f"{p}: no such image, folder or matching files (in [sources] images)")
        files += [f for f in found if f not in files]
    return files


def extension(spec: SeriesSpec) -> str:
    return EXTENSION[spec.print.format]
