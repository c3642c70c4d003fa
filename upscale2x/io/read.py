"""Read images into the one inside convention: float32 ``[H, W, 3]`` RGB in [0, 1], plus alpha and metadata.

Every mode Pillow opens is converted here and only here: 1, L, LA, P, PA, RGB, RGBA, CMYK, YCbCr, I;16*, I, F,
and 16-bit RGB(A) PNG/TIFF (read with pypng / tifffile because Pillow reduces those to 8 bits). The EXIF
orientation is applied; the ICC profile, DPI and bit depth are kept aside in :class:`ImageInfo` so a writer
can carry them over.
"""

from __future__ import annotations

import functools
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import ImageReadError

# We check the pixel count ourselves (with a limit the caller may raise), so Pillow's global guard is off.
Image.MAX_IMAGE_PIXELS = None
DEFAULT_MAX_PIXELS = 150_000_000  # about 12k x 12k; raise it with --max-pixels for bigger inputs

# EXIF orientation -> (rotate by k*90 degrees counter-clockwise, then flip left-right?)
_ORIENT = {2: (0, True), 3: (2, False), 4: (2, True), 5: (3, True), 6: (3, False), 7: (1, True), 8: (1, False)}


@dataclass(frozen=True)
class ImageInfo:
    """What the reader keeps aside for the writer."""

    bits: int = 8  # 8 or 16: the source's bits per sample
    icc: bytes | None = None  # ICC profile bytes, if the file had one (dropped for CMYK, whose profile no longer fits)
    dpi: tuple[float, float] | None = None  # (x, y) dots per inch, if the file said (to 0.1: PNG stores px per metre)
    mode: str = "RGB"  # the Pillow mode it was read from
    frames: int = 1  # frames (animated GIF/PNG/WebP) or pages (TIFF) in the file; only the first is read
    format: str = ""  # Pillow's name of the file format ("JPEG", "PNG", ...)


@dataclass
class Picture:
    """An image in the inside convention."""

    rgb: np.ndarray  # float32 [H, W, 3] in [0, 1]
    alpha: np.ndarray | None = None  # float32 [H, W] in [0, 1], or None when opaque
    info: ImageInfo = field(default_factory=ImageInfo)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.rgb.shape[0], self.rgb.shape[1]


def to_uint(x: np.ndarray, bits: int) -> np.ndarray:
    """Float in [0, 1] -> uint8 or uint16 (clipped, rounded to nearest)."""
    top = (1 << bits) - 1
    return (np.clip(x, 0.0, 1.0) * top + 0.5).astype(np.uint16 if bits == 16 else np.uint8)


def from_uint(x: np.ndarray, bits: int) -> np.ndarray:
    """uint8 / uint16 -> float32 in [0, 1]."""
    return x.astype(np.float32) / np.float32((1 << bits) - 1)


EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}  # the image files a folder is read for


def image_files(folder: Path) -> list[Path]:
    """Image files (by extension) directly in ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)


def _png_bit_depth(path: Path) -> int:
    with open(path, "rb") as fh:
        head = fh.read(26)
    return head[24] if len(head) == 26 and head[12:16] == b"IHDR" else 8


def _read_16bit_png(path: Path) -> np.ndarray:
    import png  # pypng: Pillow cannot read 16-bit RGB PNG without reducing it to 8 bits

    width, height, rows, meta = png.Reader(filename=str(path)).asDirect()
    arr = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows])
    return arr.reshape(height, width, meta["planes"])


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    arr = tifffile.imread(path, key=0)  # the first page of a multi-page TIFF, as Pillow reads the others
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] > 4:
        raise ImageReadError(f"{path}: unsupported TIFF layout (first page has shape {arr.shape})")
    return arr


def _samples(path: Path, img: Image.Image) -> tuple[np.ndarray, int]:
    """Decode pixels to (uint array [H, W, C] with C in 1..4, bits)."""
    mode, fmt = img.mode, img.format
    if fmt == "PNG" and mode in ("RGB", "RGBA") and _png_bit_depth(path) == 16:
        return _read_16bit_png(path), 16
    if fmt == "TIFF" and mode in ("RGB", "RGBA") and 16 in np.atleast_1d(img.tag_v2.get(258, 8)):
        return _read_tiff(path), 16
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(img).astype(np.uint16)[..., None], 16
    if mode == "I":  # 16-bit grayscale PNGs open as 32-bit ints
        arr = np.asarray(img)
        if arr.min() < 0 or arr.max() > 65535:
            raise ImageReadError(f"{path}: expected 16-bit samples in mode I, found values outside 0..65535")
        return arr.astype(np.uint16)[..., None], 16
    if mode == "F":
        return (np.clip(np.asarray(img), 0, 1) * 65535 + 0.5).astype(np.uint16)[..., None], 16
    has_alpha = mode in ("LA", "PA", "RGBA") or (mode == "P" and "transparency" in img.info)
    if mode in ("1", "L"):
        return np.asarray(img.convert("L"))[..., None], 8
    if mode in ("LA", "La"):
        return np.asarray(img.convert("LA")), 8
    if mode in ("P", "PA", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV"):
        return np.asarray(img.convert("RGBA" if has_alpha else "RGB")), 8
    raise ImageReadError(f"{path}: expected an RGB, grayscale, palette or CMYK image, got mode {mode}")


def _to_srgb(path: Path, img: Image.Image, icc: bytes) -> tuple[np.ndarray, bytes] | None:
    """8-bit pixels in a non-sRGB ICC profile (Adobe RGB, a CMYK press profile, ...) converted to sRGB with
    LittleCMS (Pillow's ImageCms), and the sRGB profile to tag the output with; None when already sRGB.
    The models were trained on sRGB photos; the output is tagged with the profile it is really in."""
    import io

    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError, ValueError):
        return None  # an unreadable profile: the pixels are taken as they are, as before
    if "srgb" in (ImageCms.getProfileDescription(source) or "").lower().replace(" ", ""):
        return None
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    src = img if img.mode in ("RGB", "RGBA", "CMYK") else img.convert("RGBA" if alpha else "RGB")
    a = None
    if src.mode == "RGBA":
        a, src = src.getchannel("A"), src.convert("RGB")
    try:
        out = ImageCms.profileToProfile(src, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except ImageCms.PyCMSError as e:
        raise ImageReadError(f"{path}: cannot convert its ICC profile to sRGB ({e})") from None
    if a is not None:
        out.putalpha(a)
    return np.asarray(out), srgb_profile()


@functools.cache
def srgb_profile() -> bytes:
    """LittleCMS's sRGB profile, its header date fixed (bytes 24-35; the profile ID is 0, so nothing else
    depends on them): LittleCMS stamps the current time, so two renders of one image in different seconds
    tagged their outputs with different bytes."""
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[24:36] = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)
    return bytes(data)


def _orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    k, flip = _ORIENT.get(orientation, (0, False))
    arr = np.rot90(arr, k) if k else arr
    return np.ascontiguousarray(arr[:, ::-1] if flip else arr)


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """Read ``path`` into a :class:`Picture` (float32 RGB ``[H, W, 3]`` in [0, 1], alpha ``[H, W]`` or None).

    Raises :class:`ImageReadError` naming the file for a missing, empty, non-image, truncated, unsupported or
    over-large (more than ``max_pixels``) file.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(path)
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image Pillow can read (unrecognised format)") from None
    except OSError as e:
        raise ImageReadError(f"{path}: cannot open image ({e})") from None
    with img:
        w, h = img.size
        if w * h > max_pixels:
            raise ImageReadError(
                f"{path}: {w}x{h} is {w * h:,} pixels, over the limit of {max_pixels:,} "
                "(a decompression bomb?); raise it with --max-pixels if the image is genuine"
            )
        try:
            img.load()
            arr, bits = _samples(path, img)
            orientation = img.getexif().get(0x0112, 1)
            icc = img.info.get("icc_profile") or None
            converted = _to_srgb(path, img, icc) if icc and bits == 8 else None
            if converted is not None:
                arr, icc = converted
        except ImageReadError:
            raise
        except (OSError, ValueError, SyntaxError) as e:
            raise ImageReadError(f"{path}: truncated or corrupt image data ({e})") from None
        dpi = img.info.get("dpi")
        info = ImageInfo(
            bits=bits,
            icc=icc if converted is not None or img.mode != "CMYK" else None,
            dpi=(round(float(dpi[0]), 1), round(float(dpi[1]), 1)) if dpi else None,
            mode=img.mode,
            frames=int(getattr(img, "n_frames", 1) or 1),
            format=img.format or "",
        )
    arr = _orient(arr, orientation)
    x = from_uint(arr, bits)
    gray = x.shape[2] in (1, 2)
    rgb = np.repeat(x[..., :1], 3, axis=2) if gray else x[..., :3]
    alpha = x[..., -1] if x.shape[2] in (2, 4) else None
    return Picture(np.ascontiguousarray(rgb), alpha, info)
