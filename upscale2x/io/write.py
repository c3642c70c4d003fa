"""Write images atomically (:mod:`atomic`): to an unpredictable temporary name beside the target, published only
when complete, and never over a file that appeared meanwhile unless asked to replace it.

PNG (:mod:`pngstream`) and TIFF (:mod:`tiffstream`: tiled, zlib with a predictor, via tifffile, which unlike
Pillow writes 16-bit RGB; BigTIFF past 4 GB) are streamed band by band, so huge renders never hold the whole
image. JPEG is assembled as 8-bit integers in memory and encoded at the end. Sizes past a format's limit are
refused when the writer is made, before any rendering.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ImageWriteError
from .atomic import atomic_file
from .pngstream import PngStream
from .read import to_uint
from .tiffstream import TiffStream

FORMATS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".jpg": "jpeg", ".jpeg": "jpeg"}
EXTENSION = {"png": ".png", "tiff": ".tiff", "jpeg": ".jpg", "jpg": ".jpg", "tif": ".tiff"}
MAX_SIDE = {"png": 2**31 - 1, "jpeg": 65535, "tiff": 2**32 - 1}  # pixels per side each format can store


def format_of(path: Path, fmt: str | None = None) -> str:
    """The format name (png, tiff, jpeg) for ``fmt`` or, when None, for the extension of ``path``."""
    if fmt is not None:
        key = EXTENSION.get(fmt.lower())
        if key is None:
            raise ImageWriteError(f"{path}: unknown format {fmt!r}; expected png, tiff or jpg")
        named = FORMATS.get(path.suffix.lower())
        if named is not None and named != FORMATS[key]:  # JPEG bytes in a .png would mislead every reader
            raise ImageWriteError(f"{path}: --format {fmt} contradicts the extension {path.suffix}")
        return FORMATS[key]
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ImageWriteError(f"{path}: unknown extension {path.suffix!r}; expected .png, .tif(f) or .jpg") from None


def check_target(path: Path, overwrite: bool) -> None:
    """Raise :class:`ImageWriteError` if ``path`` cannot be a new output (missing folder, a folder, or exists).

    A cheap early check; the write itself still refuses to replace a file that appears later.
    """
    if not path.parent.is_dir():
        raise ImageWriteError(f"{path}: output folder {path.parent} does not exist")
    if path.is_dir():
        raise ImageWriteError(f"{path}: is a folder, not an image file name")
    if path.exists() and not overwrite:
        raise ImageWriteError(f"{path}: already exists (use --overwrite to replace it)")


class ImageWriter:
    """A context manager that receives float rows ``[h, W, C]`` in [0, 1] top to bottom and commits on exit.

    C is 3 (RGB) or 4 (RGBA). On an exception inside the ``with`` block, or if fewer than ``height`` rows
    arrived, the temporary file is removed and the target is left untouched. Without ``overwrite``, a file that
    appeared at the target during the render (another render, say) is not replaced: ImageWriteError instead.
    """

    def __init__(
        self,
        path: str | Path,
        height: int,
        width: int,
        channels: int = 3,
        *,
        bits: int = 8,
        fmt: str | None = None,
        dpi: tuple[float, float] | None = None,
        icc: bytes | None = None,
        quality: int = 95,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.fmt = format_of(self.path, fmt)
        if bits not in (8, 16):
            raise ImageWriteError(f"{self.path}: bits must be 8 or 16, got {bits}")
        if self.fmt == "jpeg" and (bits != 8 or channels != 3):
            raise ImageWriteError(f"{self.path}: JPEG holds 8-bit RGB only (asked for {bits}-bit, {channels} channels)")
        if not 1 <= quality <= 100:
            raise ImageWriteError(f"{self.path}: JPEG quality must be 1..100, got {quality}")
        if max(height, width) > MAX_SIDE[self.fmt] or min(height, width) < 1:
            raise ImageWriteError(
                f"{self.path}: a {width}x{height} image is past the {self.fmt.upper()} limit of "
                f"{MAX_SIDE[self.fmt]} px a side; use PNG or TIFF"
                if self.fmt == "jpeg"
                else f"{self.path}: cannot hold a {width}x{height} image"
            )
        check_target(self.path, overwrite)
        self.height, self.width, self.channels, self.bits = height, width, channels, bits
        self.dpi, self.icc, self.quality, self.overwrite = dpi, icc, quality, overwrite
        self._file = None  # the atomic_file context while writing
        self._rows = 0
        self._fh = None
        self._stream: PngStream | TiffStream | None = None  # the streaming encoder (PNG, TIFF)
        self._buf: np.ndarray | None = None  # JPEG's whole image

    def __enter__(self) -> ImageWriter:
        self._file = atomic_file(self.path, replace=self.overwrite)
        try:
            self._fh = self._file.__enter__()
        except OSError as e:
            raise ImageWriteError(f"{self.path}: cannot write ({e.strerror})") from None
        if self.fmt == "png":
            self._stream = PngStream(self._fh, self.width, self.height, self.channels, self.bits, self.dpi, self.icc)
        elif self.fmt == "tiff":
            dtype = np.uint16 if self.bits == 16 else np.uint8
            self._stream = TiffStream(
                self._fh, self.path.name, self.width, self.height, self.channels, dtype, self.dpi, self.icc
            )
        else:
            self._buf = np.empty((self.height, self.width, self.channels), np.uint16 if self.bits == 16 else np.uint8)
        return self

    def write(self, rows: np.ndarray) -> None:
        """Append float rows ``[h, W, C]`` in [0, 1]."""
        u = to_uint(rows, self.bits)
        if self._stream is not None:
            self._stream.write(u)
        else:
            if self._rows + len(u) > self.height:
                raise ImageWriteError(f"{self.path}: more rows than the {self.height} expected")
            self._buf[self._rows : self._rows + len(u)] = u
        self._rows += len(u)

    def _encode_buffered(self) -> None:
        from PIL import Image

        opts = {"quality": self.quality}
        if self.dpi:
            opts["dpi"] = self.dpi
        if self.icc:
            opts["icc_profile"] = self.icc
        Image.fromarray(self._buf, "RGB").save(self._fh, "JPEG", **opts)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._finish()
            except BaseException as e:
                self._close(type(e), e, e.__traceback__)
                if isinstance(e, OSError):  # a full disk, a vanished folder: one line, not a traceback
                    raise ImageWriteError(f"{self.path}: cannot write ({e.strerror or e})") from None
                raise
        self._close(exc_type, exc, tb)
        if exc_type is not None and issubclass(exc_type, OSError):
            raise ImageWriteError(f"{self.path}: cannot write ({exc.strerror or exc})") from None

    def _finish(self) -> None:
        if self._rows != self.height:
            raise ImageWriteError(f"{self.path}: only {self._rows} of {self.height} rows were rendered")
        if self._stream is not None:
            self._stream.finish()
        else:
            self._encode_buffered()

    def _close(self, exc_type, exc, tb) -> None:
        """Stop the encoder, then publish the file (clean exit) or delete it (``exc_type`` set)."""
        if self._stream is not None:
            self._stream.abort()
        self._buf = None
        try:
            self._file.__exit__(exc_type, exc, tb)
        except FileExistsError:
            raise ImageWriteError(
                f"{self.path}: already exists (written by another process during this render; "
                "use --overwrite to replace it)"
            ) from None
        except OSError as e:
            raise ImageWriteError(f"{self.path}: cannot write ({e.strerror or e})") from None


def write_image(
    path: str | Path,
    rgb: np.ndarray,
    alpha: np.ndarray | None = None,
    **options,
) -> Path:
    """Write a whole float image (``rgb`` ``[H, W, 3]``, optional ``alpha`` ``[H, W]``, both in [0, 1]).

    ``options`` are those of :class:`ImageWriter` (bits, fmt, dpi, icc, quality, overwrite). Returns the path.
    """
    img = rgb if alpha is None else np.concatenate([rgb, alpha[..., None]], axis=2)
    with ImageWriter(path, img.shape[0], img.shape[1], img.shape[2], **options) as w:
        w.write(img)
    return Path(path)
