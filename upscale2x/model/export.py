"""`upscale2x export`: a bundle's cell function as a LiteRT ``.tflite``, measured against Keras, saved beside it.

What is converted is everything a cell goes through after the task's cell transform: [0, 1] -> [-1, 1], the
generator (BatchNorm folded, dropout off), the residual add and the clip back to [0, 1]. The cell transform
itself (sr8x's bicubic 8x lift; LiteRT has no bicubic op) runs in numpy (resample.py), equal to TensorFlow's.

Quantisation: ``none`` (float32), ``fp16`` (float16 weights) or ``int8`` (dynamic range: int8 weights, float
activations; the paper's uint8 compression). The probe set is cells of scikit-image's sample photos in the
task's own input form; the card records the max and mean |LiteRT - Keras| on them, in output units ([0, 1]).
An export whose error passes ``max_error`` writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..io.atomic import private_folder, publish
from .bundle import CARD, Card, load_bundle
from .engines import LITERT, TFLITE, LiteRTCell, sha256
from .tasks import TASKS

FRAME = TASKS["see"].in_cell  # the web page's square frame: one see cell
QUANTIZE = ("none", "fp16", "int8")
MAX_ERROR = 4 / 255  # default refusal threshold on the probe set's max error (output units; int8 sr8x: 3.6/255)
PROBE_CELLS = 16
BATCH = 8  # cells per LiteRT call, fixed in the graph


def probe_cells(card: Card, n: int = PROBE_CELLS, seed: int = 0) -> np.ndarray:
    """``n`` lifted cells ``[n, S, S, Cin]`` in [0, 1] cut from scikit-image's sample photos, in the task's form."""
    from skimage import data

    from . import resample

    s = card.spec
    rng = np.random.default_rng(seed)
    photos = [getattr(data, name)() for name in ("astronaut", "coffee", "chelsea", "rocket")]
    cells = []
    for i in range(n):
        photo = np.asarray(photos[i % len(photos)], np.float32) / 255.0
        size = s.out_cell  # the crop of the photo one cell stands for
        y, x = rng.integers(0, photo.shape[0] - size + 1), rng.integers(0, photo.shape[1] - size + 1)
        crop = photo[y : y + size, x : x + size, :3]
        if s.scale > 1:  # an upscaler sees the photo area-downscaled by its scale, then its cell transform
            crop = resample.area_resize(crop, s.in_cell, s.in_cell)
        crop = resample.transform(s.image_prep)(crop)
        cell = resample.transform(s.cell_prep)(crop[None])[0]
        cells.append(cell[..., : s.in_channels])
    return np.stack(cells).astype(np.float32)


def _litert_friendly(model):
    """``model`` with each nearest x2 resize (Keras lowers it to RESHAPE + TILE, which LiteRT's XNNPACK delegate
    cannot take: the graph falls apart into 17 pieces and runs at Keras speed) written as concat + depth-to-space,
    the same numbers in ops XNNPACK runs. Other layers, and the weights, are unchanged."""
    from ._tf import keras, tf

    class NearestX2(keras.layers.Layer):
        def call(self, x):
            return tf.nn.depth_to_space(tf.concat([x, x, x, x], axis=-1), 2)

    def swap(layer):
        if isinstance(layer, keras.layers.UpSampling2D) and layer.interpolation == "nearest" and layer.size == (2, 2):
            return NearestX2(name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    if not any(isinstance(x, keras.layers.UpSampling2D) for x in model.layers):
        return model
    clone = keras.models.clone_model(model, clone_function=swap)
    clone.set_weights(model.get_weights())
    return clone


def to_tflite(model, shape: list[int], body, quantize: str) -> bytes:
    """Convert ``body(model, x)`` for inputs of fixed ``shape`` to a LiteRT flatbuffer.

    A fixed shape: with a dynamic batch, XNNPACK leaves int8 layers to slow reference kernels (25 ms a
    small-preset cell instead of 1.3; benchmarks/engines.py).
    """
    from ._tf import tf

    model = _litert_friendly(model)

    class Fn(tf.Module):
        def __init__(self):
            super().__init__()
            # Only the tf.Variables are tracked (and so saved); tracking the Keras model itself would make
            # SavedModel trace its shape-generic serving function, which a bilinear resize cannot take.
            self.weights = [getattr(w, "value", w) for w in model.weights]

        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
        def __call__(self, x):
            return body(model, x)

    with tempfile.TemporaryDirectory(prefix="upscale2x-export-") as tmp:
        tf.saved_model.save(Fn(), tmp)  # the route that carries Keras 3 variables into the converter
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if quantize != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]  # int8 dynamic range
        if quantize == "fp16":
            converter.target_spec.supported_types = [tf.float16]
        return converter.convert()


def _convert(model, card: Card, quantize: str, batch: int) -> bytes:
    s = card.spec
    shape = [batch, s.out_cell, s.out_cell, s.in_channels]
    return to_tflite(model, shape, lambda m, x: keras_cells(m, card, x), quantize)


def keras_cells(model, card: Card, cells: np.ndarray) -> np.ndarray:
    """The Keras cell function on lifted ``cells`` (the reference the export is measured against); a tensor."""
    from . import preprocess

    gen_in = preprocess.to_model(cells)
    out = preprocess.compose(gen_in, model(gen_in, training=False), card.spec.residual)
    return preprocess.from_model(out)


def export_litert(
    folder: str | Path,
    quantize: str = "int8",
    out: str | Path | None = None,
    max_error: float = MAX_ERROR,
    overwrite: bool = False,
    batch: int = BATCH,
) -> tuple[Path, dict]:
    """Export the bundle in ``folder`` to LiteRT; returns (bundle folder written, the card's export record).

    With ``out`` the bundle is copied there (card, weights and the ``.tflite``); without, the ``.tflite`` and the
    updated card go into ``folder`` itself. Raises :class:`ModelError` (nothing written) for a bad bundle, an
    unknown quantisation, an existing ``out`` without ``overwrite``, or a probe error above ``max_error``.
    """
    if not 1 <= batch <= 64:
        raise ModelError(f"--batch must be 1..64, got {batch}")
    if quantize not in QUANTIZE:
        raise ModelError(f"--quantize must be one of {', '.join(QUANTIZE)}, got {quantize!r}")
    folder = Path(folder)
    target = Path(out) if out is not None else folder
    _check_target(folder, target, out is not None, overwrite)  # before the conversion's seconds, not after
    bundle = load_bundle(folder)
    data = _convert(bundle.model, bundle.card, quantize, batch)
    cells = probe_cells(bundle.card)
    reference = np.asarray(keras_cells(bundle.model, bundle.card, cells))
    with tempfile.TemporaryDirectory(prefix="upscale2x-probe-") as tmp:
        (Path(tmp) / TFLITE).write_bytes(data)
        record = {
            "file": TFLITE,
            "quantize": quantize,
            "batch": batch,
            "bytes": len(data),
            "sha256": sha256(Path(tmp) / TFLITE),
        }
        got = LiteRTCell(tmp, _with_export(bundle.card, record))(cells)
    err = np.abs(got - reference)
    record |= {
        "max_error": round(float(err.max()), 6),
        "mean_error": round(float(err.mean()), 7),
        "probe": f"{len(cells)} cells of scikit-image sample photos; |LiteRT - Keras| on [0, 1] outputs",
    }
    if not record["max_error"] <= max_error:  # NaN fails too
        raise ModelError(
            f"{folder}: the {quantize} LiteRT export is {record['max_error']:.4f} from Keras at worst "
            f"(limit {max_error:.4f}); nothing written"
        )
    card = _with_export(bundle.card, record)
    made = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        _write_bundle(folder, target, data, card)
    except OSError as e:  # a full disk, a folder that turned read-only: one line, and no empty folder left
        if made:
            shutil.rmtree(target, ignore_errors=True)
        raise ModelError(f"{target}: cannot write the export ({e.strerror or e}); nothing written") from None
    return target, record


def _check_target(folder: Path, target: Path, copy: bool, overwrite: bool) -> None:
    """Raise ModelError if the export could not be written to ``target`` (checked before converting)."""
    if copy and target.exists():
        if not target.is_dir():
            raise ModelError(f"{target}: is a file; -o needs a folder for the bundle's copy")
        if not overwrite:
            raise ModelError(f"{target}: already exists (use --overwrite to replace it)")
    where = target if target.exists() else target.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    if not os.access(where, os.W_OK | os.X_OK):
        what = "the bundle is read-only" if target == folder else "permission denied"
        raise ModelError(f"{target}: cannot write the export into {where} ({what}); give -o FOLDER elsewhere")


def _write_bundle(folder: Path, target: Path, data: bytes, card: Card) -> None:
    with private_folder(target) as tmp:
        (tmp / TFLITE).write_bytes(data)
        (tmp / CARD).write_text(json.dumps(card.to_json(), indent=2) + "\n")
        if target != folder:  # the weights and any other files of the bundle (its MODEL_CARD.md) come along
            for f in sorted(folder.iterdir()):
                if f.is_file() and f.name not in (TFLITE, CARD):
                    shutil.copyfile(f, tmp / f.name)
                    publish(tmp / f.name, target / f.name, replace=True)
        publish(tmp / TFLITE, target / TFLITE, replace=True)
        publish(tmp / CARD, target / CARD, replace=True)


def _with_export(card: Card, record: dict) -> Card:
    from dataclasses import replace

    return replace(card, exports={**card.exports, LITERT: record})


def _frame_body(model, x):
    """The page's frame function in TensorFlow ops: RGBA [1, 256, 256, 4] in 0..255 -> RGBA in 0..255."""
    from ..colour import LUMA
    from . import preprocess
    from ._tf import tf
    from .resample import SEE_FACTOR, area_matrix, cubic_matrix

    small = round(FRAME / SEE_FACTOR)
    down = tf.constant(area_matrix(FRAME, small))  # [11, 256]
    up = tf.constant(cubic_matrix(small, FRAME))  # [256, 11]
    rgb = x[..., :3] / 255.0
    gray = tf.tensordot(rgb, tf.constant(LUMA, tf.float32), [[3], [0]])  # [1, 256, 256]
    g = tf.matmul(tf.matmul(down, gray[0]), down, transpose_b=True)  # area down: [11, 11]
    g = tf.clip_by_value(tf.matmul(tf.matmul(up, g), up, transpose_b=True), 0.0, 1.0)  # cubic up: [256, 256]
    gen_in = preprocess.to_model(g[None, :, :, None])
    out = preprocess.from_model(model(gen_in, training=False)) * 255.0
    return tf.concat([out, tf.fill([1, FRAME, FRAME, 1], 255.0)], axis=-1)


def see_frame_tflite(model, quantize: str) -> bytes:
    """A see generator as the web page's whole frame function (:func:`_frame_body`), converted to LiteRT."""
    return to_tflite(model, [1, FRAME, FRAME, 4], _frame_body, quantize)
