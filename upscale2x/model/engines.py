"""Which engine runs a bundle's cells, Keras (TensorFlow) or LiteRT, and each made into the tiler's cell function.

A bundle exported with `upscale2x export` (export.py) holds ``model.tflite`` beside ``model.keras``: the whole
cell function after the task's cell transform (the [-1, 1] range, the generator, the residual add, the clip),
so it takes lifted cells ``[N, S, S, Cin]`` in [0, 1] and gives ``[N, S, S, Cout]`` in [0, 1]. The card's
``exports["litert"]`` says how it was made and how far it is from Keras. Only :func:`keras_cell_fn` imports TensorFlow
(when called), so a LiteRT render never does.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

ENGINES = ("auto", "keras", "litert")
TFLITE = "model.tflite"
LITERT = "litert"  # the key of the LiteRT record in a card's ``exports``


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (LiteRT's C++ runtime logs "INFO: Created TensorFlow Lite XNNPACK delegate")."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def litert_record(card) -> dict[str, Any] | None:
    """The card's LiteRT export record, or None when the bundle has none."""
    rec = card.exports.get(LITERT) if isinstance(card.exports, dict) else None
    return rec if isinstance(rec, dict) else None


class LiteRTCell:
    """A bundle's ``model.tflite`` ready to run: ``cell(batch) -> batch`` on numpy float32.

    Raises :class:`ModelError` naming the file when it is missing, truncated or foreign (its SHA-256 differs
    from the card's), cannot be loaded, or its input/output shapes are not the card's task shapes.
    """

    def __init__(self, folder: str | Path, card, threads: int | None = None):
        folder = Path(folder)
        rec = litert_record(card)
        path = folder / (rec.get("file", TFLITE) if rec else TFLITE)
        if rec is None:
            raise ModelError(f"{folder}: has no LiteRT export (run `upscale2x export {folder}`)")
        if not path.is_file():
            raise ModelError(f"{path}: missing (the card records a LiteRT export)")
        if path.stat().st_size != rec.get("bytes") or sha256(path) != rec.get("sha256"):
            raise ModelError(f"{path}: does not match its card (truncated, replaced or foreign file)")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ModelError(f"{path}: LiteRT is not installed (pip install ai-edge-litert)") from None
        try:
            with _quiet_stderr():
                self._it = Interpreter(model_path=str(path), num_threads=threads or os.cpu_count() or 1)
                self._it.allocate_tensors()
            ins, outs = self._it.get_input_details(), self._it.get_output_details()
        except Exception as e:  # LiteRT raises ValueError/RuntimeError for bad flatbuffers
            raise ModelError(f"{path}: cannot load ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
        s = card.spec
        want_in, want_out = [s.out_cell, s.out_cell, s.in_channels], [s.out_cell, s.out_cell, s.out_channels]
        shapes = [[*d["shape"][1:]] for d in ins + outs]
        if len(ins) != 1 or len(outs) != 1 or shapes != [want_in, want_out]:
            raise ModelError(
                f"{path}: does not match its card (a {card.task} cell function takes {want_in} and gives {want_out})"
            )
        self._in, self._out = ins[0]["index"], outs[0]["index"]
        self.batch = int(ins[0]["shape"][0])  # fixed in the graph (export.py): calls are padded to it
        self.path = path

    def set_batch(self, n: int) -> None:
        """Run ``n`` cells per call from now on (live `see` runs one frame at a time). The graph keeps static
        shapes, so XNNPACK still takes every layer (a dynamic batch in the graph would not)."""
        if n != self.batch:
            self._it.resize_tensor_input(self._in, [n, *self._it.get_input_details()[0]["shape"][1:]])
            self._it.allocate_tensors()
            self.batch = n

    def __call__(self, cells: np.ndarray) -> np.ndarray:
        """``[N, S, S, Cin]`` -> ``[N, S, S, Cout]`` for any N (run in the graph's batches, the last padded)."""
        n, b = len(cells), self.batch
        out = []
        for i in range(0, n, b):
            part = np.ascontiguousarray(cells[i : i + b], np.float32)
            if len(part) < b:
                part = np.concatenate([part, np.zeros((b - len(part), *part.shape[1:]), np.float32)])
            self._it.set_tensor(self._in, part)
            self._it.invoke()
            out.append(self._it.get_tensor(self._out)[: min(b, n - i)].copy())
        return np.concatenate(out) if len(out) > 1 else out[0]


def choose_engine(folder: str | Path, card, requested: str = "auto", noisy: bool = False) -> tuple[str, str | None]:
    """``(engine, note)`` for a bundle: the engine to run and, for an ``auto`` fallback, why it is not LiteRT.

    ``litert`` asked for explicitly must work (ModelError otherwise, naming the file); ``auto`` takes LiteRT when
    the bundle has a sound export and no dropout noise is wanted (LiteRT graphs run without dropout), else Keras.
    """
    engine, note, _ = select_engine(folder, card, requested, noisy)
    return engine, note


def select_engine(
    folder: str | Path, card, requested: str = "auto", noisy: bool = False
) -> tuple[str, str | None, LiteRTCell | None]:
    """:func:`choose_engine` plus the loaded :class:`LiteRTCell` when it picks LiteRT: the check that the export
    is sound is its loading, so the stage that runs it takes this one instead of loading it again."""
    if requested not in ENGINES:
        raise ModelError(f"--engine must be one of {', '.join(ENGINES)}, got {requested!r}")
    if requested == "keras":
        return "keras", None, None
    if noisy:
        if requested == LITERT:
            raise ModelError(f"{folder}: a noise seed needs dropout, which the LiteRT export does not run; use Keras")
        return "keras", None, None
    if requested == "auto" and litert_record(card) is None:
        return "keras", None, None
    try:
        cell = LiteRTCell(folder, card)
    except ModelError as e:
        if requested == LITERT:
            raise
        return "keras", f"{e}; using Keras", None
    return LITERT, None, cell


def keras_cell_fn(model, spec, alpha: bool, batch: int | None):
    """A Keras generator as the tiler's ``fn(batch[N, h, w, Cin (+1)]) -> batch[N, h*s, w*s, 3 (+1)]`` (numpy).

    ``spec`` is the bundle's task (its cell transform, channels, residual add). With ``batch`` every call is padded
    to that many cells, so one shape is traced for a whole tiled render; ``None`` (untiled runs) traces once per
    image size, because a shape-generic trace cannot run the bilinear resize of upsample="bilinear" generators.
    An alpha channel (the last) is resized bicubically beside the model. Imports TensorFlow.
    """
    from . import preprocess
    from ._tf import tf

    lift = preprocess.transform(spec.cell_prep)

    @tf.function(reduce_retracing=batch is not None)
    def run(x):
        gen_in = preprocess.to_model(lift(x[..., : spec.in_channels]))
        y = preprocess.from_model(preprocess.compose(gen_in, model(gen_in, training=False), spec.residual))
        if not alpha:
            return y
        a = tf.clip_by_value(tf.image.resize(x[..., -1:], tf.shape(y)[1:3], method="bicubic"), 0.0, 1.0)
        return tf.concat([y, a], axis=-1)

    def call(cells: np.ndarray) -> np.ndarray:
        n = len(cells)  # a short last batch is padded: one traced shape, no re-tracing halfway through a render
        if batch is not None and n < batch:
            cells = np.concatenate([cells, np.zeros((batch - n, *cells.shape[1:]), cells.dtype)])
        return run(tf.convert_to_tensor(cells, tf.float32)).numpy()[:n]

    return call


def litert_cell_fn(runner: LiteRTCell, spec, alpha: bool):
    """A loaded :class:`LiteRTCell` as the tiler's cell function (numpy only: the cell transform's numpy twin)."""
    from . import resample

    lift = resample.transform(spec.cell_prep)

    def call(cells: np.ndarray) -> np.ndarray:
        y = runner(lift(cells[..., : spec.in_channels]))  # the runner pads a short batch itself
        if not alpha:
            return y
        side = y.shape[1]
        a = np.clip(resample.resize(cells[..., -1:], side, side), 0.0, 1.0)
        return np.concatenate([y, a], axis=-1)

    return call
