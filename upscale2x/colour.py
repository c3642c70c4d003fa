"""The one luma: ITU-R 601 weights and their numpy conversion, for every part (measures, transforms, live).

TensorFlow's twin (``model/preprocess.grayscale``) uses the same weights, imported from here.
"""

from __future__ import annotations

import numpy as np

LUMA = (0.2989, 0.5870, 0.1140)  # ITU-R 601 luma weights, as tf.image.rgb_to_grayscale has them


def luma(a: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` (or ``[..., 3]``) RGB -> ``[H, W]`` luma, float32; a 2-D array or one channel passes through."""
    if a.ndim == 2:
        return a.astype(np.float32)
    return a[..., 0].astype(np.float32) if a.shape[-1] == 1 else a[..., :3].astype(np.float32) @ np.float32(LUMA)
