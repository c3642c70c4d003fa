"""Deep-zoom tiles of a finished print, cut on demand: the print is never loaded whole.

A print TIFF is written in 256x256 tiles (io/tiffstream.py), so a full-resolution view tile is one TIFF tile read
and decoded. Zoomed out, a view tile covers several print tiles, read and averaged, down to the overview's scale:
the print area-reduced by a power of two (``factor``) to at most 2048 px, made once by streaming the print band by
band and cached; the levels further out are cut from it. A PNG print (no random access) is first
streamed once into such a tiled TIFF in the cache. Levels follow Deep Zoom (OpenSeadragon's DZI): level L is the
full size with L = ceil(log2(longest side)), each level below halves it.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np

from ..errors import RenderError
from ..io.write import ImageWriter

TILE = 256
OVERVIEW_SIDE = 2048  # the overview's longest side, at most


def dzi(width: int, height: int) -> str:
    """The Deep Zoom descriptor of a ``width`` x ``height`` image in 256 px PNG tiles."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" TileSize="256" Overlap="0" Format="png">'
        f'<Size Width="{width}" Height="{height}"/></Image>\n'
    )


def _area(block: np.ndarray, f: int, weight: np.ndarray | None = None) -> np.ndarray:
    """``block`` [h, w, c] reduced f times by the mean of each f x f cell, its pixels weighed by ``weight`` [h, w, 1]
    (default 1: a partial edge cell is the mean of what it has)."""
    if f == 1:
        return block
    h, w = block.shape[:2]
    ho, wo = -(-h // f), -(-w // f)
    padded = np.zeros((ho * f, wo * f, block.shape[2]), np.float64)
    weights = np.zeros((ho * f, wo * f, 1), np.float64)
    weights[:h, :w] = 1 if weight is None else weight
    padded[:h, :w] = block * weights[:h, :w]
    sums = padded.reshape(ho, f, wo, f, -1).sum(axis=(1, 3))
    return sums / weights.reshape(ho, f, wo, f, 1).sum(axis=(1, 3))


def _coverage(start: int, stop: int, total: int, f: int) -> np.ndarray:
    """How much of each overview pixel start..stop-1 (f print pixels each) the print covers: 1, or less at its edge."""
    return np.clip(total - np.arange(start, stop) * f, 0, f) / f


class PrintTiles:
    """View tiles of the print at ``path``, with its cache (overview, PNG's tiled copy) in ``cache``."""

    def __init__(self, path: Path, cache: Path) -> None:
        import tifffile

        self.path, self.cache = Path(path), Path(cache)
        self._lock = threading.Lock()  # one reader of the file handle at a time
        stamp = self.path.stat()
        self._key = f"{self.path.name}.{stamp.st_size}.{int(stamp.st_mtime)}"
        source = self.path
        if self.path.suffix.lower() == ".png":
            source = self._tiled_copy()
        try:
            self._tif = tifffile.TiffFile(source)
            self._page = self._tif.pages[0]
        except Exception as e:  # tifffile raises its own and OS errors for a bad file
            raise RenderError(f"{self.path}: cannot read the print ({e})") from None
        if not self._page.is_tiled or self._page.tilewidth != TILE or self._page.tilelength != TILE:
            raise RenderError(f"{self.path}: not a print written by upscale2x (256 px tiles)")
        self.height, self.width = self._page.shape[:2]
        self.bits = 16 if self._page.dtype == np.uint16 else 8
        self.levels = max(0, math.ceil(math.log2(max(self.width, self.height))))
        self.across = -(-self.width // TILE)
        self.factor = 2 ** max(0, math.ceil(math.log2(max(self.width, self.height) / OVERVIEW_SIDE)))
        self._overview: np.ndarray | None = None
        self._overview_lock = threading.Lock()  # the viewer asks for many tiles at once: one overview is made

    def close(self) -> None:
        self._tif.close()

    def _tiled_copy(self) -> Path:
        """Stream a PNG print into a tiled TIFF in the cache (once); its path."""
        import png  # pypng: reads row by row

        out = self.cache / f"{self._key}.tiff"
        if out.is_file():
            return out
        self.cache.mkdir(parents=True, exist_ok=True)
        reader = png.Reader(filename=str(self.path))
        width, height, rows, info = reader.asDirect()
        channels, bits = info["planes"], info["bitdepth"]
        peak = float(2**bits - 1)
        with ImageWriter(out, height, width, 3, bits=16 if bits > 8 else 8, fmt="tiff", overwrite=True) as writer:
            band = []
            for row in rows:
                band.append(np.asarray(row, np.float32).reshape(width, channels)[:, :3] / peak)
                if len(band) == TILE:
                    writer.write(np.stack(band))
                    band = []
            if band:
                writer.write(np.stack(band))
        return out

    def _raw_tile(self, row: int, col: int) -> np.ndarray:
        """Print tile (row, col), cropped to the image, as float in [0, 1]."""
        index = row * self.across + col
        with self._lock:
            fh = self._tif.filehandle
            fh.seek(self._page.dataoffsets[index])
            data = fh.read(self._page.databytecounts[index])
        tile = self._page.decode(data, index)[0].reshape(TILE, TILE, -1)[..., :3]
        h, w = min(TILE, self.height - row * TILE), min(TILE, self.width - col * TILE)
        return tile[:h, :w].astype(np.float64) / (2**self.bits - 1)

    def _region(self, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
        """Full-resolution pixels [y0:y1, x0:x1], from the print tiles they touch."""
        out = np.zeros((y1 - y0, x1 - x0, 3))
        for r in range(y0 // TILE, -(-y1 // TILE)):
            for c in range(x0 // TILE, -(-x1 // TILE)):
                t = self._raw_tile(r, c)
                ty, tx = r * TILE, c * TILE
                a, b = max(y0, ty), min(y1, ty + t.shape[0])
                d, e = max(x0, tx), min(x1, tx + t.shape[1])
                out[a - y0 : b - y0, d - x0 : e - x0] = t[a - ty : b - ty, d - tx : e - tx]
        return out

    def overview(self) -> np.ndarray:
        """The print reduced ``factor`` times (cached as a PNG beside the others): float RGB."""
        with self._overview_lock:
            if self._overview is None:
                self._overview = self._make_overview()
            return self._overview

    def _make_overview(self) -> np.ndarray:
        from ..io.read import read_image
        from ..io.write import write_image

        path = self.cache / f"{self._key}.overview{self.factor}.png"
        if path.is_file():
            return read_image(path).rgb.astype(np.float64)
        bands = []
        step = max(TILE, self.factor)  # bands of whole print tiles and whole overview rows
        for y in range(0, self.height, step):
            band = self._region(y, 0, min(self.height, y + step), self.width)
            bands.append(_area(band, self.factor))
        overview = np.concatenate(bands)
        self.cache.mkdir(parents=True, exist_ok=True)
        write_image(path, overview.astype(np.float32), overwrite=True)
        return overview

    def tile(self, level: int, col: int, row: int) -> np.ndarray:
        """View tile (col, row) of Deep Zoom ``level``: uint8 RGB. RenderError for a tile outside the image."""
        if not 0 <= level <= self.levels:
            raise RenderError(f"no level {level} (0..{self.levels})")
        scale = 2 ** (self.levels - level)
        y0, x0 = row * TILE * scale, col * TILE * scale
        if col < 0 or row < 0 or y0 >= self.height or x0 >= self.width:
            raise RenderError(f"no tile {col}_{row} at level {level}")
        y1, x1 = min(self.height, y0 + TILE * scale), min(self.width, x0 + TILE * scale)
        if scale < self.factor or self.factor == 1:  # at most (factor / 2)^2 print tiles
            pixels = _area(self._region(y0, x0, y1, x1), scale)
        else:
            f, k = scale // self.factor, self.factor
            rows, cols = (y0 // k, -(-y1 // k)), (x0 // k, -(-x1 // k))
            weight = np.outer(_coverage(*rows, self.height, k), _coverage(*cols, self.width, k))[..., None]
            pixels = _area(self.overview()[rows[0] : rows[1], cols[0] : cols[1]], f, weight)
        return np.clip(np.round(pixels * 255), 0, 255).astype(np.uint8)
