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
from dataclasses import dataclass

import numpy as np

from .errors import TileError

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
    out_w, out_h0, out_w0 = img.shape[1] * s, h0 * s, w0 * s
    total, done = len(ys) * len(xs), 0
    parts: list[np.ndarray] = []
    emit = sink or parts.append
    state = {"acc": None, "wsum": np.zeros((oc, out_w, 1), np.float32), "top": 0, "emitted": 0}

    def flush(upto: int) -> None:
        """Emit output rows [top, upto) (cropped to the image) and slide the band down."""
        n = upto - state["top"]
        if n <= 0:
            return
        acc, wsum = state["acc"], state["wsum"]
        rows = acc[:n] / np.maximum(wsum[:n], 1e-12)
        keep = min(n, out_h0 - state["emitted"])
        if keep > 0:
            emit(np.ascontiguousarray(rows[:keep, :out_w0]))
            state["emitted"] += keep
        acc[:-n], wsum[:-n] = acc[n:].copy(), wsum[n:].copy()
        acc[-n:], wsum[-n:] = 0.0, 0.0
        state["top"] = upto

    for group in _batches(len(ys), len(xs), spec.batch):
        batch = np.stack([img[ys[k] : ys[k] + c, xs[j] : xs[j] + c] for k, j in group])
        result = np.asarray(fn(batch), np.float32)
        if result.ndim != 4 or result.shape[:3] != (len(group), oc, oc):
            raise TileError(f"the model returned shape {result.shape}, expected ({len(group)}, {oc}, {oc}, C)")
        if state["acc"] is None:
            state["acc"] = np.zeros((oc, out_w, result.shape[3]), np.float32)
        for (k, j), cell_out in zip(group, result, strict=True):
            flush(ys[k] * s)
            r0 = ys[k] * s - state["top"]
            x0 = xs[j] * s
            w2 = wy[k][:, None, None] * wx[j][None, :, None]
            state["acc"][r0 : r0 + oc, x0 : x0 + oc] += w2 * cell_out
            state["wsum"][r0 : r0 + oc, x0 : x0 + oc] += w2
        done += len(group)
        if on_progress:
            on_progress(done, total)
    flush(state["top"] + oc)
    return None if sink else np.concatenate(parts, axis=0)
