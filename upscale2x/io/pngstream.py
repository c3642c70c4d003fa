"""A streaming PNG encoder: rows go to disk as they come, so a 16k x 16k output never sits in memory whole.

Pillow's PNG writer needs the whole image (and stores RGB at 4 bytes a pixel), which breaks the memory
target of large renders. This writes 8/16-bit grayscale/RGB with or without alpha, the "Up" row filter,
and the pHYs (DPI) and iCCP (ICC profile) chunks.
"""

from __future__ import annotations

import queue
import struct
import threading
import zlib

try:  # ISA-L's deflate: 4x faster than zlib's level 1 on model output, and smaller (see LEVEL)
    from isal import isal_zlib as _deflate
except ImportError:  # a platform without its wheel: plain zlib
    _deflate = zlib
from typing import BinaryIO

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (gray, gray+alpha, RGB, RGBA)
_IDAT_BYTES = 1 << 20  # flush compressed data in chunks of about this size
# Deflate level. On a 2048² sr8x output: ISA-L level 1 26 ms (3.47 MB); zlib 1 114 ms (3.72 MB), zlib 3 228 ms
# (3.40 MB), zlib 6 642 ms (2.99 MB). Compression must not starve the model on 2 cores (benchmarks/render_speed.py).
LEVEL = 1


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


class PngStream:
    """Write a PNG row band by row band to an open binary file.

    ``write(rows)`` takes unsigned integer rows ``[h, width, channels]`` (uint8 for 8-bit, uint16 for 16-bit);
    ``finish()`` writes the end of the file. Raises ``ValueError`` on rows of the wrong shape or dtype, or on
    more rows than the header promised. Compression runs on a background thread (zlib releases the GIL), so it
    overlaps with the model producing the next rows; ``abort()`` stops it without finishing the file.
    """

    def __init__(
        self,
        fh: BinaryIO,
        width: int,
        height: int,
        channels: int,
        bits: int,
        dpi: tuple[float, float] | None = None,
        icc: bytes | None = None,
    ) -> None:
        if channels not in _COLOR_TYPE or bits not in (8, 16) or width < 1 or height < 1:
            raise ValueError(f"cannot write a PNG of {width}x{height}x{channels} at {bits} bits")
        self._fh, self.width, self.height, self.channels, self.bits = fh, width, height, channels, bits
        self._dtype = np.dtype(">u2") if bits == 16 else np.dtype(np.uint8)
        self._rows_done = 0
        self._prev = np.zeros(width * channels * self._dtype.itemsize, np.uint8)
        self._z = _deflate.compressobj(LEVEL)
        self._pending = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._compress, name="png-compress", daemon=True)
        fh.write(_SIGNATURE)
        fh.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, _COLOR_TYPE[channels], 0, 0, 0)))
        if icc:
            fh.write(_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
        if dpi:
            ppm = [round(d / 0.0254) for d in dpi]  # PNG stores pixels per metre
            fh.write(_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
        self._thread.start()

    def _compress(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._pending += self._z.compress(data)
                if len(self._pending) >= _IDAT_BYTES:
                    self._flush()
            except BaseException as e:  # handed to the caller's thread in finish()
                self._error = e

    def write(self, rows: np.ndarray) -> None:
        """Append ``rows`` (``[h, width, channels]``, uint8 or uint16 to match ``bits``)."""
        if rows.ndim != 3 or rows.shape[1:] != (self.width, self.channels):
            raise ValueError(f"expected rows of shape [h, {self.width}, {self.channels}], got {rows.shape}")
        if rows.dtype.itemsize * 8 != self.bits:
            raise ValueError(f"expected {self.bits}-bit rows, got {rows.dtype}")
        if self._rows_done + rows.shape[0] > self.height:
            raise ValueError(f"too many rows: the header says {self.height}")
        raw = np.ascontiguousarray(rows.astype(self._dtype, copy=False)).view(np.uint8)
        raw = raw.reshape(rows.shape[0], -1)
        # "Up" filter: each byte minus the byte above it, modulo 256 (vectorised over the band).
        above = np.vstack([self._prev[None], raw[:-1]])
        filtered = np.empty((raw.shape[0], raw.shape[1] + 1), np.uint8)
        filtered[:, 0] = 2
        np.subtract(raw, above, out=filtered[:, 1:])
        self._prev = raw[-1].copy()
        self._rows_done += rows.shape[0]
        self._queue.put(filtered.tobytes())

    def _flush(self) -> None:
        if self._pending:
            self._fh.write(_chunk(b"IDAT", bytes(self._pending)))
            self._pending = bytearray()

    def abort(self) -> None:
        """Stop the compression thread (the file is left incomplete, for the caller to delete)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self) -> None:
        """Write the last compressed data and IEND. Raises ``ValueError`` if rows are missing."""
        self.abort()
        if self._error is not None:
            raise self._error
        if self._rows_done != self.height:
            raise ValueError(f"only {self._rows_done} of {self.height} rows were written")
        self._pending += self._z.flush()
        self._flush()
        self._fh.write(_chunk(b"IEND", b""))
