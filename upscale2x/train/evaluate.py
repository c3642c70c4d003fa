"""Held-out evaluation: L1 for every task; for residual tasks (sr8x) PSNR, SSIM, sharpness and lattice against
the lifted input the generator adds its detail to (bicubic for sr8x)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics import compare
from ..model import preprocess
from ..model.tasks import TASKS


@dataclass
class Evaluation:
    outputs: np.ndarray  # [n, 256, 256, 3] in [0, 1]
    metrics: dict[str, float]


def evaluate(model, inputs: np.ndarray, targets: np.ndarray, task: str, batch: int = 8) -> Evaluation:
    """Run ``model`` (a Pix2Pix: raw task input in [0, 1] -> [-1, 1]) on held-out pairs, in inference mode."""
    outs = [
        np.asarray(preprocess.from_model(model(inputs[i : i + batch], training=False)))
        for i in range(0, len(inputs), batch)
    ]
    outputs = np.concatenate(outs) if outs else np.zeros((0, 256, 256, 3), np.float32)
    metrics = {"l1": round(float(np.mean(np.abs(outputs - targets))), 5) if len(outputs) else float("nan")}
    spec = TASKS[task]
    if spec.residual and len(outputs):
        bicubic = np.asarray(preprocess.transform(spec.cell_prep)(inputs))
        metrics.update(compare(list(outputs), list(bicubic), list(targets)))
    return Evaluation(outputs, metrics)
