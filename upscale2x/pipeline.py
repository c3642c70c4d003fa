"""Stages and chains: a bundle made into a tiled image-to-image function, and several run one after another.

A :class:`Stage` feeds its bundle the way its task says (tasks.py): a whole-image transform before tiling
(Learning to See's grayscale blur), a per-cell transform inside the model callable (sr8x's cubic 8x lift), the
[-1, 1] range, and BatchNorm's moving statistics (``training=False``), so every cell is treated alike. An alpha
channel rides along as the last channel and is resized bicubically, never through the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .bundle import Bundle
from .errors import RenderError
from .tiling import Progress, Sink, TileSpec, count_cells, default_overlap, pad_to_cell, tile_apply

MAX_UNTILED_PIXELS = 4096 * 4096  # --no-tiles runs the model on the whole image only up to this output size


def no_variant(name: object) -> RenderError:
    """The error for a noise seed asked of a model without dropout (known from its card or its weights)."""
    return RenderError(f"{name}: has no dropout (trained with --no-dropout), so a seed makes no variant")


@dataclass
class Stage:
    """One bundle, ready to run on float images ``[H, W, 3]`` (or ``[H, W, 4]`` with alpha) in [0, 1].

    Dropout noise lives here. pix2pix's only noise source is dropout: with a ``noise_seed`` the stage keeps its
    model's dropout on, with masks fixed by the seed (the same for every cell: one variant, no seams), and
    :meth:`set_noise_seed` picks another variant without re-tracing. The policy, for render and series alike:
    a seed varies the *first* stage of a chain (the generator that imagines); later stages (the upscalers) run
    as trained.
    """

    bundle: Bundle
    overlap: int | None = None  # input px shared by neighbouring cells; None = a quarter cell
    batch: int = 8  # cells per model call
    tiles: bool = True  # False: run the whole (padded) image at once, for comparison
    noise_seed: int | None = None  # dropout noise seed (a variant); None = the deterministic output
    _fns: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        s = self.bundle.spec
        overlap = default_overlap(s.in_cell) if self.overlap is None else self.overlap
        self.tile_spec = TileSpec(s.in_cell, s.scale, overlap, self.batch)  # raises TileError on bad values
        self.model = self.bundle.model  # what runs: the bundle's generator, or its seeded-noise copy
        if self.noise_seed is not None:
            from .nets import has_dropout, with_dropout_noise

            if not has_dropout(self.model):
                raise no_variant(self.bundle.path or self.bundle.card.name)
            self.model = with_dropout_noise(self.model, self.noise_seed)

    def set_noise_seed(self, seed: int) -> None:
        """Switch a noisy stage (made with a ``noise_seed``) to another variant; no re-tracing."""
        from .nets import set_noise_seed

        if self.noise_seed is None:
            raise RenderError("this stage was made without a noise seed")
        set_noise_seed(self.model, seed)
        self.noise_seed = seed

    @property
    def scale(self) -> int:
        return self.bundle.spec.scale

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The whole-image transform of the task, applied to RGB; alpha (if any) stays the last channel."""
        from . import preprocess

        prep = self.bundle.spec.image_prep
        if not prep:
            return image
        rgb = np.asarray(preprocess.transform(prep)(image[..., :3]), np.float32)
        return np.concatenate([rgb, image[..., 3:]], axis=2)

    def cell_fn(self, alpha: bool) -> Callable[[np.ndarray], np.ndarray]:
        """``fn(batch[N, h, w, Cin (+1 alpha)]) -> batch[N, h*s, w*s, 3 (+1)]``, compiled once per alpha mode."""
        if alpha not in self._fns:
            self._fns[alpha] = self._build_fn(alpha)
        return self._fns[alpha]

    def _build_fn(self, alpha: bool):
        from . import preprocess
        from ._tf import tf

        spec, model = self.bundle.spec, self.model
        lift = preprocess.transform(spec.cell_prep)

        # Tiled runs have one batch shape; untiled runs trace once per image size, because a shape-generic trace
        # cannot run the bilinear resize of upsample="bilinear" generators.
        @tf.function(reduce_retracing=self.tiles)
        def run(batch):
            x = batch[..., : spec.in_channels]
            gen_in = preprocess.to_model(lift(x))
            y = preprocess.from_model(preprocess.compose(gen_in, model(gen_in, training=False), spec.residual))
            if not alpha:
                return y
            a = batch[..., -1:]
            size = tf.shape(y)[1:3]
            a = tf.clip_by_value(tf.image.resize(a, size, method="bicubic"), 0.0, 1.0)
            return tf.concat([y, a], axis=-1)

        def call(batch: np.ndarray) -> np.ndarray:
            # Pad a short last batch to the full size: one traced shape, no re-tracing halfway through a render.
            n = len(batch)
            if self.tiles and n < self.batch:
                batch = np.concatenate([batch, np.zeros((self.batch - n, *batch.shape[1:]), batch.dtype)])
            return run(tf.convert_to_tensor(batch, tf.float32)).numpy()[:n]

        return call

    def cells(self, height: int, width: int) -> int:
        """Model calls' worth of cells for an input of this size (1 when untiled)."""
        return count_cells(height, width, self.tile_spec) if self.tiles else 1

    def run(self, image: np.ndarray, sink: Sink | None = None, on_progress: Progress | None = None):
        """Run on ``image`` ``[H, W, 3|4]``; returns ``[H*s, W*s, 3|4]`` or streams bands to ``sink``."""
        alpha = image.shape[2] == 4
        x = self.prepare(image)
        fn = self.cell_fn(alpha)
        if self.tiles:
            return tile_apply(x, fn, self.tile_spec, sink, on_progress)
        h, w = x.shape[:2]
        s, cell = self.scale, self.tile_spec.in_cell
        padded = pad_to_cell(x, cell, multiple=True)
        if padded.shape[0] * padded.shape[1] * s * s > MAX_UNTILED_PIXELS:
            raise RenderError(
                f"--no-tiles: a {padded.shape[1] * s}x{padded.shape[0] * s} output is too big to run at once; "
                "use --tiles"
            )
        y = fn(padded[None])[0, : h * s, : w * s]
        if on_progress:
            on_progress(1, 1)
        if sink is None:
            return y
        sink(y)
        return None


@dataclass
class Chain:
    """Stages run one after another, each one's float output the next one's input (no rounding between)."""

    stages: list[Stage]

    def __post_init__(self) -> None:
        if not self.stages:
            raise RenderError("a chain needs at least one model")

    @property
    def scale(self) -> int:
        return int(np.prod([st.scale for st in self.stages]))

    def total_cells(self, height: int, width: int) -> int:
        """Cells over all stages for an input of this size (for one progress bar over the whole chain)."""
        total, h, w = 0, height, width
        for st in self.stages:
            total += st.cells(h, w)
            h, w = h * st.scale, w * st.scale
        return total

    def run(self, image: np.ndarray, sink: Sink | None = None, on_progress: Progress | None = None):
        """Run every stage; the last streams to ``sink`` if given. ``on_progress(done, total)`` spans all stages."""
        total = self.total_cells(*image.shape[:2])
        offset = 0
        x = image
        for i, st in enumerate(self.stages):
            cells = st.cells(*x.shape[:2])

            def report(done, _n, base=offset):
                if on_progress:
                    on_progress(base + done, total)

            last = i == len(self.stages) - 1
            x = st.run(x, sink if last else None, report)
            offset += cells
        return x
