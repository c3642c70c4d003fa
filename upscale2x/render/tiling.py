"""Cut an image into overlapping cells, run them through a callable in batches, blend with feathered weights.

Pure numpy; the model is any callable ``fn(batch[N, c, c, Cin]) -> batch[N, c*s, c*s, Cout]``, so the tiler is
tested with fakes. Output rows leave as finished bands (``sink``), so a 16k-pixel-wide render holds only one
band of cells in floating point, never the whole canvas.

Blending: along each axis neighbouring cells hand over inside a transition zone centred in their overlap,
with raised-cosine (sin²/cos²) ramps sampled at pixel centres. The two ramps are complementary, so weights
sum to exactly 1; the 2-D weight is the outer product of the two axes, so four-way corners sum to 1 too. Each
cell's own border (where a U-Net sees zero padding) gets little or no weight. There is no fade at the image
border. The sum of weights is still divided out at the end, which absorbs float rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..errors import TileError

CellFn = Callable[[np.ndarray], np.ndarray]
Sink = Callable[[np.ndarray], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TileSpec:
    """How to cut and batch."""

    in_cell: int  # side of an input cell, in input pixels (32 for sr8x, 256 for see)
    scale: int = 1  # output pixels per input pixel
    overlap: int = 0  # input pixels shared by neighbouring cells; at most half a cell
    batch: int = 8  # cells per call of the model

    def __post_init__(self) -> None:
        if self.in_cell < 1 or self.scale < 1 or self.batch < 1:
            raise TileError(f"cell, scale and batch must be >= 1, got {self.in_cell}, {self.scale}, {self.batch}")
        if not 0 <= self.overlap <= self.in_cell // 2:
            raise TileError(
                f"overlap must be 0..{self.in_cell // 2} px (half a {self.in_cell}px cell), got {self.overlap}"
            )

    @property
    def out_cell(self) -> int:
        return self.in_cell * self.scale


def default_overlap(in_cell: int) -> int:
    """A quarter of a cell: wide enough that each cell's unreliable border is faded out (see benchmarks/seams.py)."""
    return in_cell // 4


def overlap_px(overlap: float | None, in_cell: int) -> int:
    """An overlap option in input pixels for cells of ``in_cell``: None = the default, a value below 1 = that
    fraction of the cell (so one option fits every stage of a mixed chain), otherwise pixels."""
    if overlap is None:
        return default_overlap(in_cell)
    return round(overlap * in_cell) if 0 < overlap < 1 else int(overlap)


def cell_starts(length: int, cell: int, overlap: int) -> list[int]:
    """Start offsets of cells along an axis of ``length`` >= ``cell``: a regular stride, the last one snapped back
    to end at the edge."""
    if length <= cell:
        return [0]
    stride = cell - overlap
    return list(range(0, length - cell, stride)) + [length - cell]


def transition_zones(starts: list[int], cell: int, scale: int, overlap: int) -> list[tuple[float, float]]:
    """Where each pair of neighbouring cells hands over, in output pixels: ``[(a, b), ...]``, one per pair.

    A zone is centred in the pair's overlap and ``overlap`` wide, narrowed where the snapped last cell makes an
    overlap larger than usual and its neighbours crowd it: zones never intersect, so at most two cells share a
    pixel's weight and the weights form an exact partition of unity.
    """
    mids = [(starts[k + 1] + starts[k] + cell) * scale / 2 for k in range(len(starts) - 1)]
    zones = []
    for k, m in enumerate(mids):
        half = min(overlap, starts[k] + cell - starts[k + 1]) * scale / 2
        if k > 0:
            half = min(half, (m - mids[k - 1]) / 2)
        if k < len(mids) - 1:
            half = min(half, (mids[k + 1] - m) / 2)
        zones.append((m - half, m + half))
    return zones


def _ramp(x: np.ndarray, zone: tuple[float, float]) -> np.ndarray:
    """0 before ``zone``, 1 after, sin² in between (at pixel centres ``x``)."""
    a, b = zone
    t = (x - a) / (b - a) if b > a else (x >= a).astype(np.float64)
    return np.sin(0.5 * np.pi * np.clip(t, 0.0, 1.0)) ** 2


def axis_weights(starts: list[int], k: int, cell: int, scale: int, overlap: int) -> np.ndarray:
    """Feather weights ``[cell*scale]`` of cell ``k`` along one axis: up through the zone it shares with the
    previous cell, down through the one it shares with the next; 1 at the image border (no fade there)."""
    zones = transition_zones(starts, cell, scale, overlap)
    x = starts[k] * scale + np.arange(cell * scale) + 0.5
    w = np.ones(cell * scale, np.float64)
    if k > 0:
        w *= _ramp(x, zones[k - 1])
    if k < len(starts) - 1:
        w *= 1.0 - _ramp(x, zones[k])
    return w.astype(np.float32)


def pad_to_cell(image: np.ndarray, cell: int, multiple: bool = False) -> np.ndarray:
    """Reflect-pad ``image`` at the bottom/right to at least ``cell`` (or to a multiple of it) on each axis."""
    h, w = image.shape[:2]
    target = [(-(-d // cell) * cell) if multiple else max(d, cell) for d in (h, w)]
    if target == [h, w]:
        return image
    pads = ((0, target[0] - h), (0, target[1] - w)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, pads, mode="reflect" if min(h, w) > 1 else "edge")


def count_cells(height: int, width: int, spec: TileSpec) -> int:
    """How many cells a ``height`` x ``width`` image is cut into."""
    c, o = spec.in_cell, spec.overlap
    return len(cell_starts(max(height, c), c, o)) * len(cell_starts(max(width, c), c, o))


def _batches(rows: int, cols: int, batch: int) -> Iterator[list[tuple[int, int]]]:
    """Cell indices (row, column) in row-major order, ``batch`` at a time (batches span rows: no half-empty calls)."""
    cells = [(k, j) for k in range(rows) for j in range(cols)]
    for i in range(0, len(cells), batch):
        yield cells[i : i + batch]


def _classes(weights: list[np.ndarray]) -> list[int]:
    """Index of each weight vector among the distinct ones (interior cells share theirs)."""
    seen: dict[bytes, int] = {}
    return [seen.setdefault(w.tobytes(), len(seen)) for w in weights]


class _Band:
    """The strip of output rows that cells may still add to; finished rows leave through ``emit``.

    Weights are a product of per-axis weights over a full grid of cells, so their sum is too:
    (sum over rows) x (sum over columns). Only the row sums are kept per band.
    """

    def __init__(self, height: int, width: int, channels: int, colsum: np.ndarray, emit: Sink, keep: tuple[int, int]):
        self.acc = np.zeros((height, width, channels), np.float32)
        self.rowsum = np.zeros(height, np.float32)
        self.colsum = colsum[None, :, None]
        self.emit, (self.rows_left, self.cols) = emit, keep
        self.top, self.row = 0, -1

    def slide_to(self, top: int) -> None:
        """Emit output rows [self.top, top) (cropped to the image) and move the band down."""
        n = top - self.top
        if n <= 0:
            return
        keep = min(n, self.rows_left)
        if keep > 0:
            rows = self.acc[:keep, : self.cols] / np.maximum(
                self.rowsum[:keep, None, None] * self.colsum[:, : self.cols], 1e-12
            )
            self.emit(rows)
            self.rows_left -= keep
        self.acc[:-n], self.rowsum[:-n] = self.acc[n:].copy(), self.rowsum[n:].copy()
        self.acc[-n:], self.rowsum[-n:] = 0.0, 0.0
        self.top = top

    def add(self, row: int, y0: int, x0: int, wy: np.ndarray, w2: np.ndarray, cell: np.ndarray) -> None:
        """Add a weighted output cell whose top-left corner is at output (y0, x0)."""
        self.slide_to(y0)
        r0, h, w = y0 - self.top, cell.shape[0], cell.shape[1]
        if row != self.row:  # first cell of a new row of cells: its row weights join the sum once
            self.rowsum[r0 : r0 + h] += wy
            self.row = row
        self.acc[r0 : r0 + h, x0 : x0 + w] += w2 * cell


def tile_apply(
    image: np.ndarray, fn: CellFn, spec: TileSpec, sink: Sink | None = None, on_progress: Progress | None = None
) -> np.ndarray | None:
    """Run ``fn`` over overlapping cells of ``image`` ``[H, W, C]`` and blend the outputs.

    Returns the ``[H*s, W*s, Cout]`` float32 result, or, when ``sink`` is given, passes it to ``sink`` in
    finished row bands (top to bottom) and returns None. ``on_progress(done, total)`` is called after each
    batch. Raises :class:`TileError` if ``image`` is not ``[H, W, C]`` or ``fn`` returns the wrong shape.
    """
    if image.ndim != 3 or min(image.shape[:2]) < 1:
        raise TileError(f"expected an image of shape [H, W, C] with H, W >= 1, got {image.shape}")
    h0, w0 = image.shape[:2]
    c, s, oc = spec.in_cell, spec.scale, spec.out_cell
    img = pad_to_cell(np.asarray(image, np.float32), c)
    ys, xs = cell_starts(img.shape[0], c, spec.overlap), cell_starts(img.shape[1], c, spec.overlap)
    wy = [axis_weights(ys, k, c, s, spec.overlap) for k in range(len(ys))]
    wx = [axis_weights(xs, j, c, s, spec.overlap) for j in range(len(xs))]
    cy, cx = _classes(wy), _classes(wx)
    w2_cache: dict[tuple[int, int], np.ndarray] = {}
    colsum = np.zeros(img.shape[1] * s, np.float32)
    for j, x in enumerate(xs):
        colsum[x * s : x * s + oc] += wx[j]
    total, done = len(ys) * len(xs), 0
    parts: list[np.ndarray] = []
    band: _Band | None = None
    groups = list(_batches(len(ys), len(xs), spec.batch))

    def run(group):
        return np.asarray(fn(np.stack([img[ys[k] : ys[k] + c, xs[j] : xs[j] + c] for k, j in group])), np.float32)

    # The model runs one batch ahead on a worker thread (LiteRT and TensorFlow release the GIL while they
    # compute), so blending and writing the previous batch overlap it instead of adding to it.
    with ThreadPoolExecutor(1, thread_name_prefix="cells") as pool:
        ahead = pool.submit(run, groups[0])
        for i, group in enumerate(groups):
            result = ahead.result()
            if i + 1 < len(groups):
                ahead = pool.submit(run, groups[i + 1])
            if result.ndim != 4 or result.shape[:3] != (len(group), oc, oc):
                raise TileError(f"the model returned shape {result.shape}, expected ({len(group)}, {oc}, {oc}, C)")
            if band is None:
                band = _Band(oc, colsum.size, result.shape[3], colsum, sink or parts.append, (h0 * s, w0 * s))
            for (k, j), cell_out in zip(group, result, strict=True):
                key = (cy[k], cx[j])
                if key not in w2_cache:
                    w2_cache[key] = wy[k][:, None, None] * wx[j][None, :, None]
                band.add(k, ys[k] * s, xs[j] * s, wy[k], w2_cache[key], cell_out)
            done += len(group)
            if on_progress:
                on_progress(done, total)
    band.slide_to(band.top + oc)
    return None if sink else np.concatenate(parts, axis=0)
