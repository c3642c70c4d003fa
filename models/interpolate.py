"""Blend two bundles of one network, weight by weight (ESRGAN's network interpolation), into a new bundle.

    python models/interpolate.py FAITHFUL SHARP ALPHA OUT
    upscale2x export OUT --quantize int8 --max-error 0.1   # its LiteRT export

OUT's weights are ``(1 - ALPHA) * FAITHFUL + ALPHA * SHARP``. Both must be the same network (the same layers and
shapes) and should share their training (two checkpoints of one GAN run, or a GAN fine-tune and the model it
started from): then the blend trades PSNR for invented detail smoothly, with fewer artifacts than either end
(Wang et al. 2018). OUT gets SHARP's card, its training record holding ``interpolation`` (the two sources and
ALPHA), and no LiteRT export (export it anew). With ``--run RUN`` (the run both came from) the card's held-out
metrics are measured anew on the blend, on that run's held-out images; without it they are left out.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("faithful", type=Path)
    ap.add_argument("sharp", type=Path)
    ap.add_argument("alpha", type=float, help="0 = FAITHFUL, 1 = SHARP")
    ap.add_argument("out", type=Path)
    ap.add_argument("--run", type=Path, help="the run folder both came from: measure the blend on its held-out images")
    a = ap.parse_args()
    if not 0.0 <= a.alpha <= 1.0:
        raise SystemExit(f"alpha must be in [0, 1], got {a.alpha}")
    if a.out.exists():
        raise SystemExit(f"{a.out}: exists; choose a new folder")

    from upscale2x.model.bundle import Bundle, load_bundle, save_bundle

    faithful, sharp = load_bundle(a.faithful), load_bundle(a.sharp)
    wf, ws = faithful.model.get_weights(), sharp.model.get_weights()
    if [w.shape for w in wf] != [w.shape for w in ws]:
        raise SystemExit(f"{a.faithful} and {a.sharp}: not the same network (their weights differ in shape)")
    model = sharp.model
    model.set_weights([(1.0 - a.alpha) * f + a.alpha * s for f, s in zip(wf, ws, strict=True)])
    record = {"faithful": str(a.faithful), "sharp": str(a.sharp), "alpha": a.alpha}
    metrics = held_out_metrics(model, a.run) if a.run else {}
    card = replace(sharp.card, exports={}, metrics=metrics, training={**sharp.card.training, "interpolation": record})
    save_bundle(Bundle(model, card), a.out)
    print(f"{a.out}: {1 - a.alpha:g} x {a.faithful} + {a.alpha:g} x {a.sharp}")


def held_out_metrics(generator, run: Path) -> dict:
    """The metrics `upscale2x train --export` puts in a card, of ``generator`` on ``run``'s held-out images."""
    from upscale2x.model import preprocess
    from upscale2x.model.tasks import TASKS
    from upscale2x.train.config import TrainConfig
    from upscale2x.train.evaluate import evaluate
    from upscale2x.train.fit import held_out_pairs, run_images

    cfg = TrainConfig.load(run / "train_config.json")
    spec = TASKS[cfg.task]
    images, _, val_idx = run_images(cfg)
    val_x, val_y = held_out_pairs(images, val_idx, cfg)

    def cells(x, training=False):  # gan.Pix2Pix.call without the discriminator
        gen_in = preprocess.to_model(preprocess.transform(spec.cell_prep)(x))
        return preprocess.compose(gen_in, generator(gen_in, training=training), spec.residual)

    return {"held_out": len(val_idx), **evaluate(cells, val_x, val_y, cfg.task).metrics}


if __name__ == "__main__":
    main()
