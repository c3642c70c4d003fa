"""Give a lattice-free bundle a windowed LatticeFree layer, in place (the layer has no weights: they carry over).

    python models/lattice_window.py models/sr8x-dream 64
    upscale2x export models/sr8x-dream --quantize int8 --max-error 0.1   # the LiteRT export, anew

The layer then removes the 8-px periodic part round each pixel over about 64 px instead of over the whole cell
(upscale2x.model.layers.local_pattern): a GAN-trained upscaler draws a faint grid in parts of a cell and its
opposite in others, which the whole-cell mean cancels but a print of its own output shows (models/TRAINING.md 5h).
The card gets `lattice_free_window` and loses its LiteRT record (the old .tflite is removed: export again).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", type=Path)
    ap.add_argument("window", type=int, help="px (a multiple of 8 from 16); 0 = over the whole cell again")
    a = ap.parse_args()

    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, load_bundle, save_bundle
    from upscale2x.model.export import keras_cells, probe_cells
    from upscale2x.model.layers import LatticeFree

    source = load_bundle(a.bundle)
    if not source.card.lattice_free:
        raise SystemExit(f"{a.bundle}: not lattice-free (trained without --lattice-free)")
    try:
        card = replace(source.card, lattice_free_window=a.window, exports={})  # checks the window
    except ValueError as e:
        raise SystemExit(f"{a.bundle}: {e}") from None

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, LatticeFree):
            config["window"] = a.window
        return layer.__class__.from_config(config)

    model = keras.models.clone_model(source.model, clone_function=clone)
    model.set_weights(source.model.get_weights())
    cells = probe_cells(card)
    before, after = (np.asarray(keras_cells(m, card, cells)) for m in (source.model, model))
    save_bundle(Bundle(model, card), a.bundle)
    (a.bundle / "model.tflite").unlink(missing_ok=True)  # stale: its card record is gone
    diff = np.abs(after - before) * 255
    print(f"{a.bundle}: lattice-free window {a.window} px; the probe cells moved {diff.mean():.3f}/255 on average")


if __name__ == "__main__":
    main()
