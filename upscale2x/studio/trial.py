"""The studio's before/after: one dropped image through a model, chain or scale, by `upscale2x render`'s code.

The upload is kept under the series folder's cache by its content hash (the same image twice is one file), and
the render goes through ``render_file`` with the options the page chose, so it is the command line's render.
Inputs are capped (``MAX_BYTES``, ``MAX_PIXELS``) so one request stays a few seconds of work.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from ..errors import ImageReadError, RenderError
from ..io.atomic import write_bytes
from ..render.files import RenderOptions, plan_render, render_file

MAX_BYTES = 20 * 2**20
MAX_PIXELS = 1024 * 1024  # input pixels
MAX_SCALE = 64  # a 64x trial of a 128 px image is a 8192 px print; bigger renders are `upscale2x render`'s
MAX_OUTPUT = 8192 * 8192  # output pixels of one trial
FORMATS = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tiff", "WEBP": ".webp", "BMP": ".bmp"}


def save_upload(data: bytes, folder: Path) -> Path:
    """Keep the uploaded image ``data`` in ``folder`` under its hash; ImageReadError for what is not an image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageReadError("upload: no image in the request")
    if len(data) > MAX_BYTES:
        raise ImageReadError(f"upload: {len(data) / 2**20:.0f} MB; the studio takes images up to 20 MB")
    try:
        with Image.open(io.BytesIO(data)) as im:
            kind, size = im.format, im.size
    except (UnidentifiedImageError, OSError) as e:
        raise ImageReadError(f"upload: not an image ({e})") from None
    if kind not in FORMATS:
        raise ImageReadError(f"upload: a {kind} image; the studio takes {', '.join(FORMATS)}")
    if size[0] * size[1] > MAX_PIXELS:
        raise ImageReadError(
            f"upload: {size[0]}x{size[1]} px; the studio renders up to 1024x1024 (use `upscale2x render`)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"in-{hashlib.sha256(data).hexdigest()[:16]}{FORMATS[kind]}"
    if not path.is_file():
        write_bytes(path, data)
    return path


def render_trial(src: Path, model: str | None, chain: tuple[str, ...], scale: int | None, engine: str) -> Path:
    """``src`` rendered as `upscale2x render SRC [--model M | --chain A,B] [--scale S]` would; the output path."""
    if scale is not None and not 2 <= scale <= MAX_SCALE:
        raise RenderError(f"scale must be 2..{MAX_SCALE} in the studio, got {scale}")
    from PIL import Image

    opts = RenderOptions(scale=scale, model=model or None, chain=chain, engine=engine, overwrite=True, fmt="png")
    factor = plan_render(opts).scale  # from the cards, as the render will run it
    with Image.open(src) as im:
        pixels = im.width * im.height * factor**2
    if pixels > MAX_OUTPUT:
        raise RenderError(f"scale {factor} of this image makes {pixels / 1e6:.0f} MP; the studio renders up to 67 MP")
    key = hashlib.sha256(repr((src.name, model, chain, scale)).encode()).hexdigest()[:16]
    dst = src.parent / f"out-{key}.png"
    if dst.is_file():
        return dst
    return render_file(src, dst, opts)
