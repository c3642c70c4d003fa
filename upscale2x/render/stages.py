"""Stages and chains: a bundle made into a tiled image-to-image function, and several run one after another.

A :class:`Stage` feeds its bundle the way its task says (tasks.py): a whole-image transform before tiling
(Learning to See's grayscale blur), a per-cell transform inside the model callable (sr8x's cubic 8x lift), the
[-1, 1] range, and BatchNorm's moving statistics (``training=False``), so every cell is treated alike. An alpha
channel rides along as the last channel and is resized bicubically, never through the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import RenderError
from ..model.bundle import Bundle
from .bands import AreaSink, Collect, CropSink
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
    engine: str = "keras"  # "keras", or "litert": the bundle's model.tflite, and no TensorFlow (engines.py)
    ensemble: int = 1  # geometric self-ensemble: copies of each cell averaged (1, 2, 4, 8; ensemble.py)
    runner: Any = field(default=None, repr=False)  # litert: an already loaded engines.LiteRTCell (else loaded here)
    _fns: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from .ensemble import check_size

        check_size(self.ensemble)
        s = self.bundle.spec
        overlap = default_overlap(s.in_cell) if self.overlap is None else self.overlap
        self.tile_spec = TileSpec(s.in_cell, s.scale, overlap, self.batch)  # raises TileError on bad values
        if self.engine == "litert":
            from ..model.engines import LiteRTCell

            if self.noise_seed is not None:
                raise RenderError(f"{self.bundle.path}: LiteRT runs without dropout, so it cannot take a noise seed")
            if not self.tiles:
                raise RenderError("--no-tiles runs on Keras only (the LiteRT export takes whole cells)")
            self.runner = self.runner or LiteRTCell(self.bundle.path, self.bundle.card)
            self.runner.set_batch(self.batch)  # static shapes at this batch: every call fills it
            return
        if self.engine != "keras":
            raise RenderError(f"unknown engine {self.engine!r}")
        self.model = self.bundle.model  # what runs: the bundle's generator, or its seeded-noise copy
        if self.noise_seed is not None:
            from ..model.nets import has_dropout, with_dropout_noise

            if not has_dropout(self.model):
                raise no_variant(self.bundle.path or self.bundle.card.name)
            self.model = with_dropout_noise(self.model, self.noise_seed)

    def set_noise_seed(self, seed: int) -> None:
        """Switch a noisy stage (made with a ``noise_seed``) to another variant; no re-tracing."""
        from ..model.nets import set_noise_seed

        if self.noise_seed is None:
            raise RenderError("this stage was made without a noise seed")
        set_noise_seed(self.model, seed)
        self.noise_seed = seed

    @property
    def scale(self) -> int:
        return self.bundle.spec.scale

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The whole-image transform of the task, applied to RGB; alpha (if any) stays the last channel."""
        prep = self.bundle.spec.image_prep
        if not prep:
            return image
        if self.engine == "litert":
            from ..model import resample as transforms  # the numpy twins: no TensorFlow on this path
        else:
            from ..model import preprocess as transforms
        rgb = np.asarray(transforms.transform(prep)(image[..., :3]), np.float32)
        return np.concatenate([rgb, image[..., 3:]], axis=2)

    def cell_fn(self, alpha: bool) -> Callable[[np.ndarray], np.ndarray]:
        """``fn(batch[N, h, w, Cin (+1 alpha)]) -> batch[N, h*s, w*s, 3 (+1)]``, compiled once per alpha mode.

        With ``ensemble`` > 1 it averages the model over that many flipped/turned copies of each batch.
        """
        if alpha not in self._fns:
            from .ensemble import self_ensemble

            self._fns[alpha] = self_ensemble(self._build_fn(alpha), self.ensemble)
        return self._fns[alpha]

    def _build_fn(self, alpha: bool):
        from ..model.engines import keras_cell_fn, litert_cell_fn

        if self.engine == "litert":
            return litert_cell_fn(self.runner, self.bundle.spec, alpha)
        return keras_cell_fn(self.model, self.bundle.spec, alpha, self.batch if self.tiles else None)

    def cells(self, height: int, width: int) -> int:
        """Model calls' worth of cells for an input of this size (1 when untiled)."""
        return count_cells(height, width, self.tile_spec) if self.tiles else 1

    def run(self, image: np.ndarray, sink: Sink | None = None, on_progress: Progress | None = None):
        """Run on ``image`` ``[H, W, 3|4]``; returns ``[H*s, W*s, 3|4]`` or streams bands to ``sink``."""
        return self.run_prepared(self.prepare(image), sink, on_progress)

    def run_prepared(self, x: np.ndarray, sink: Sink | None = None, on_progress: Progress | None = None):
        """:meth:`run` on an image :meth:`prepare` already made (live `see` shows that image as well)."""
        alpha = x.shape[2] == self.bundle.spec.in_channels + 1  # prepared: the model's channels (+ alpha)
        fn = self.cell_fn(alpha)
        if self.tiles:
            return tile_apply(x, fn, self.tile_spec, sink, on_progress)
        h, w = x.shape[:2]
        s, cell = self.scale, self.tile_spec.in_cell
        untiled_output(h, w, cell, s)
        padded = pad_to_cell(x, cell, multiple=True)
        y = fn(padded[None])[0, : h * s, : w * s]
        if on_progress:
            on_progress(1, 1)
        if sink is None:
            return y
        sink(y)
        return None


def untiled_output(height: int, width: int, cell: int, scale: int) -> tuple[int, int]:
    """The output size of one untiled stage on a ``height`` x ``width`` input (padded to whole cells); RenderError
    when it is past ``MAX_UNTILED_PIXELS``."""
    h, w = (-(-d // cell) * cell * scale for d in (height, width))
    if h * w > MAX_UNTILED_PIXELS:
        raise RenderError(f"--no-tiles: a {w}x{h} output is too big to run at once; use --tiles")
    return h, w


def check_untiled(height: int, width: int, specs) -> None:
    """Raise RenderError if any stage of an untiled chain (task ``specs`` in order) would be too big: checked on
    the input's size before stage 1 runs, not after it."""
    for spec in specs:
        untiled_output(height, width, spec.in_cell, spec.scale)
        height, width = height * spec.scale, width * spec.scale


def open_stage(folder, engine: str = "auto", noise_seed: int | None = None, **kw) -> tuple[Stage, str | None]:
    """A :class:`Stage` of the bundle in ``folder`` on the engine ``engine`` asks for (engines.select_engine).

    Returns ``(stage, note)``; ``note`` says why ``auto`` fell back to Keras (a broken LiteRT export), else None.
    A LiteRT stage never loads the Keras weights, so TensorFlow stays unimported.
    """
    from ..model.bundle import load_bundle, read_card
    from ..model.engines import select_engine

    card = read_card(folder)
    chosen, note, cell = select_engine(folder, card, engine, noisy=noise_seed is not None)
    bundle = Bundle(None, card, folder) if chosen == "litert" else load_bundle(folder)
    return Stage(bundle, noise_seed=noise_seed, engine=chosen, runner=cell, **kw), note


@dataclass(frozen=True)
class ChainPlan:
    """Stage input sizes for an exact output size (cover + centred crop), and the size the last stage's output is
    area-resized to before the crop (``cover``)."""

    inputs: tuple[tuple[int, int], ...]  # each stage's input size
    cover: tuple[int, int]  # the size cropped to the output: the last stage's output, or its area downscale

    @classmethod
    def make(cls, scales: list[int], height: int, width: int, out_h: int, out_w: int) -> ChainPlan:
        total = int(np.prod(scales))
        f = max(out_h / (height * total), out_w / (width * total))  # the leftover factor, at most 1
        if f > 1 + 1e-9:
            raise RenderError(f"a x{total} chain cannot make {out_w}x{out_h} from {width}x{height}")

        def up(n: float) -> int:
            return max(1, int(np.ceil(n - 1e-6)))

        inputs, h, w = [], height, width
        for s in scales[:-1]:
            inputs.append((h, w))
            h, w = h * s, w * s
        prior = total // scales[-1]
        if f < 1 - 1e-9 and prior * f >= 1:  # earlier stages enlarged enough: shrink the last stage's input
            h, w = up(height * prior * f), up(width * prior * f)
            inputs.append((h, w))
            return cls(tuple(inputs), (h * scales[-1], w * scales[-1]))
        inputs.append((h, w))
        return cls(tuple(inputs), (up(height * total * f), up(width * total * f)))


@dataclass
class Chain:
    """Stages run one after another, each one's float output the next one's input (no rounding between)."""

    stages: list[Stage]
    notes: list[str] = field(default_factory=list)  # engine fallbacks met while building it, for the CLI to show

    def __post_init__(self) -> None:
        if not self.stages:
            raise RenderError("a chain needs at least one model")

    @property
    def scale(self) -> int:
        return int(np.prod([st.scale for st in self.stages]))

    def describe(self) -> str:
        """The models that run, in order, with their engines: 'see-flowers (litert) -> sr8x (litert, ensemble 8)'."""

        def one(st: Stage) -> str:
            how = st.engine + (f", ensemble {st.ensemble}" if st.ensemble > 1 else "")
            return f"{st.bundle.path or st.bundle.card.name} ({how})"

        return " -> ".join(one(st) for st in self.stages)

    def total_cells(self, height: int, width: int) -> int:
        """Cells over all stages for an input of this size (for one progress bar over the whole chain)."""
        total, h, w = 0, height, width
        for st in self.stages:
            total += st.cells(h, w)
            h, w = h * st.scale, w * st.scale
        return total

    def plan_to(self, height: int, width: int, out_h: int, out_w: int) -> ChainPlan:
        """How :meth:`run_to` makes an ``out_h`` x ``out_w`` output from a ``height`` x ``width`` input."""
        return ChainPlan.make([st.scale for st in self.stages], height, width, out_h, out_w)

    def run_to(
        self, image: np.ndarray, out_h: int, out_w: int, sink: Sink, on_progress: Progress | None = None
    ) -> None:
        """Stream an output of exactly ``out_h`` x ``out_w`` to ``sink``: the chain's output scaled to cover it
        (area resize, never up), centred and cropped. Memory stays a few bands of the output at any scale: the
        leftover downscale is done band by band, before the last stage when earlier stages already enlarged the
        image enough (cheaper: the last stage runs on fewer cells), else on the output."""
        plan = self.plan_to(*image.shape[:2], out_h, out_w)
        sizes = plan.inputs
        total = sum(st.cells(*hw) for st, hw in zip(self.stages, sizes, strict=True))
        offset, x = 0, image
        for i, st in enumerate(self.stages):

            def report(done, _n, base=offset):
                if on_progress:
                    on_progress(base + done, total)

            h, w = x.shape[:2]
            made = (h * st.scale, w * st.scale)
            if i < len(self.stages) - 1:
                nxt = sizes[i + 1]
                out = Collect()
                st.run(x, AreaSink(out, *made, *nxt) if nxt != made else out, report)
                x = out.image
            else:
                crop = CropSink(sink, (plan.cover[0] - out_h) // 2, (plan.cover[1] - out_w) // 2, out_h, out_w)
                st.run(x, AreaSink(crop, *made, *plan.cover) if plan.cover != made else crop, report)
            offset += st.cells(h, w)

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
