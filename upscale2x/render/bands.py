"""Row-band sinks: an area resize and a crop applied to an image that arrives top to bottom in row bands.

The tiler emits finished output rows band by band; these sit between it and the next consumer (an image writer,
or the next stage's input) so that a render at any scale never holds more than a few bands of the big image.
Both are exact: :class:`AreaSink` gives the same pixels as ``resample.area_resize`` on the whole image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..model.resample import area_taps as _taps

Sink = Callable[[np.ndarray], None]


def _apply_cols(rows: np.ndarray, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.zeros((rows.shape[0], idx.shape[0], rows.shape[2]), np.float32)
    for t in range(idx.shape[1]):
        out += rows[:, idx[:, t], :] * w[None, :, t, None]
    return out


class AreaSink:
    """Area-resize a ``height`` x ``width`` image arriving in row bands to ``out_h`` x ``out_w``; emit row bands.

    Memory: one input band plus the input rows the next output row still needs.
    """

    def __init__(self, emit: Sink, height: int, width: int, out_h: int, out_w: int):
        self.emit, self.height = emit, height
        self._cidx, self._cw = _taps(width, out_w)
        self._ridx, self._rw = _taps(height, out_h)
        self._need = self._ridx.max(axis=1) + 1  # input rows each output row needs, counted from the top
        self._buf = np.zeros((0, out_w, 0), np.float32)
        self._first = 0  # input row index of _buf[0]
        self._next = 0  # next output row to emit
        self._seen = 0

    def __call__(self, rows: np.ndarray) -> None:
        narrow = _apply_cols(np.asarray(rows, np.float32), self._cidx, self._cw)  # columns first: fewer to keep
        self._buf = narrow if self._buf.shape[0] == 0 else np.concatenate([self._buf, narrow])
        self._seen += len(rows)
        end = int(np.searchsorted(self._need, self._seen, side="right"))  # output rows now complete
        if end > self._next:
            idx, w = self._ridx[self._next : end] - self._first, self._rw[self._next : end]
            out = np.zeros((end - self._next, self._buf.shape[1], self._buf.shape[2]), np.float32)
            for t in range(idx.shape[1]):
                out += self._buf[idx[:, t]] * w[:, t, None, None]
            self.emit(out)
            self._next = end
            if end < len(self._ridx):  # keep only the rows later output rows use
                drop = int(self._ridx[end:].min()) - self._first
                self._buf, self._first = self._buf[drop:], self._first + drop


class CropSink:
    """Pass on only rows [top, top+h) and columns [left, left+w) of a stream of row bands."""

    def __init__(self, emit: Sink, top: int, left: int, h: int, w: int):
        self.emit, self.top, self.left, self.h, self.w, self.row = emit, top, left, h, w, 0

    def __call__(self, rows: np.ndarray) -> None:
        a, b = max(self.top, self.row), min(self.top + self.h, self.row + len(rows))
        if a < b:
            self.emit(rows[a - self.row : b - self.row, self.left : self.left + self.w])
        self.row += len(rows)


class PadSink:
    """Centre a stream of ``h`` x ``w`` row bands on a ``height`` x ``width`` canvas of ``value`` (margins)."""

    def __init__(self, emit: Sink, h: int, w: int, height: int, width: int, value: float = 1.0):
        self.emit, self.h, self.w, self.height, self.width, self.value = emit, h, w, height, width, value
        self.top, self.left = (height - h) // 2, (width - w) // 2
        self.row = 0

    def _margin(self, n: int, channels: int) -> None:
        if n > 0:
            self.emit(np.full((n, self.width, channels), self.value, np.float32))

    def __call__(self, rows: np.ndarray) -> None:
        c = rows.shape[2]
        if self.row == 0:
            self._margin(self.top, c)
        band = np.full((len(rows), self.width, c), self.value, np.float32)
        band[:, self.left : self.left + self.w] = rows
        self.emit(band)
        self.row += len(rows)
        if self.row == self.h:
            self._margin(self.height - self.h - self.top, c)


class Collect:
    """Gather row bands into one array (``.image``), for a stage whose output feeds another stage."""

    def __init__(self):
        self.parts: list[np.ndarray] = []

    def __call__(self, rows: np.ndarray) -> None:
        self.parts.append(rows)

    @property
    def image(self) -> np.ndarray:
        return np.concatenate(self.parts, axis=0)
