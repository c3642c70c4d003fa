"""A streaming TIFF encoder: row bands in, 256x256 tiles out to tifffile on a background thread.

tifffile writes an image from an iterator of tiles; the render pushes row bands. A queue joins the two, so only
a band of tiles is ever in memory, compression (zlib with the horizontal predictor) overlaps the model, and a
file past 4 GB is written as BigTIFF. Used by imagewrite.ImageWriter for .tif/.tiff.
"""

from __future__ import annotations

import queue
import threading
from typing import BinaryIO

import numpy as np

TILE = 256
LEVEL = 1  # zlib level, as for PNG (pngstream.LEVEL)
CLASSIC_LIMIT = 2**32 - 2**26  # bytes of pixel data past which a classic TIFF may overflow its 32-bit offsets


class _Stop(Exception):
    """Raised inside tifffile's iterator to abandon the file."""


class TiffStream:
    """Write a tiled, zlib-compressed TIFF of ``height`` x ``width`` x ``channels`` (uint8 or uint16 rows).

    ``write(rows)`` appends rows ``[h, width, channels]``; ``finish()`` completes the file; ``abort()`` stops
    without completing it (the caller deletes it). Errors of the writer thread surface in ``finish()``.
    """

    def __init__(
        self,
        fh: BinaryIO,
        name: str,
        width: int,
        height: int,
        channels: int,
        dtype,
        dpi: tuple[float, float] | None = None,
        icc: bytes | None = None,
    ) -> None:
        self.width, self.height, self.channels, self.dtype = width, height, channels, np.dtype(dtype)
        self._band = np.zeros((TILE, width, channels), self.dtype)
        self._filled = 0  # rows in _band
        self._rows = 0
        self._per_band = -(-width // TILE)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=2 * self._per_band)
        self._error: BaseException | None = None
        self._stop = False
        big = height * width * channels * self.dtype.itemsize > CLASSIC_LIMIT
        extratags = [(34675, "B", len(icc), icc, True)] if icc else []
        res = {"resolution": dpi, "resolutionunit": "INCH"} if dpi else {}
        self._args = (fh, name, big, extratags, res)
        self._thread = threading.Thread(target=self._encode, name="tiff-encode", daemon=True)
        self._thread.start()

    def _tiles(self):
        while (tile := self._queue.get()) is not None:
            if self._stop:
                raise _Stop
            yield tile
        if self._stop:
            raise _Stop

    def _encode(self) -> None:
        import tifffile

        fh, name, big, extratags, res = self._args
        try:
            handle = tifffile.FileHandle(fh, "wb", name=name)  # tifffile wants a name; an fd-opened file has none
            tifffile.imwrite(
                handle,
                self._tiles(),
                shape=(self.height, self.width, self.channels),
                dtype=self.dtype,
                tile=(TILE, TILE),
                photometric="rgb" if self.channels >= 3 else "minisblack",
                compression="zlib",
                compressionargs={"level": LEVEL},
                predictor=True,
                bigtiff=big,
                extratags=extratags,
                **res,
            )
        except BaseException as e:  # handed to the caller's thread in finish()
            self._error = e
            while self._queue.get() is not None:  # drain, so a blocked write() returns
                pass

    def _put(self, item) -> None:
        while True:
            if not self._thread.is_alive() and self._error is not None:
                raise self._error
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _flush_band(self) -> None:
        band = self._band
        if self._filled < TILE:
            band[self._filled :] = 0
        for x in range(0, self.width, TILE):
            tile = np.zeros((TILE, TILE, self.channels), self.dtype)
            part = band[:, x : x + TILE]
            tile[:, : part.shape[1]] = part
            self._put(tile)
        self._filled = 0

    def write(self, rows: np.ndarray) -> None:
        if rows.ndim != 3 or rows.shape[1:] != (self.width, self.channels) or rows.dtype != self.dtype:
            raise ValueError(
                f"expected {self.dtype} rows [h, {self.width}, {self.channels}], got {rows.dtype} {rows.shape}"
            )
        if self._rows + len(rows) > self.height:
            raise ValueError(f"too many rows: the image has {self.height}")
        i = 0
        while i < len(rows):
            n = min(TILE - self._filled, len(rows) - i)
            self._band[self._filled : self._filled + n] = rows[i : i + n]
            self._filled += n
            i += n
            if self._filled == TILE:
                self._flush_band()
        self._rows += len(rows)

    def finish(self) -> None:
        if self._rows != self.height:
            raise ValueError(f"only {self._rows} of {self.height} rows were written")
        if self._filled:
            self._flush_band()
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        if self._thread.is_alive():
            self._stop = True
            try:
                self._queue.put(None, timeout=5)
            except queue.Full:
                pass
            self._thread.join(timeout=10)
