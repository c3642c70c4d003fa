"""The one scale planner: how many 8x upscaler stages an enlargement needs.

Render (``--scale 12``: two stages, then an area downscale of the output) and series picks (a print size at a
DPI: the last stage's input is area-resized so its output just covers the print) both ask it; each applies the
factor left over (``factor / UPSCALER ** stages``, at most 1) where it suits its memory.
"""

from __future__ import annotations

import math

from ..model.tasks import TASKS

UPSCALER = TASKS["sr8x"].scale  # the enlargement of one upscaler stage


def upscaler_stages(factor: float, at_least_one: bool = False) -> int:
    """The fewest chained 8x stages whose product reaches ``factor`` (> 0); 0 for factors up to 1 unless
    ``at_least_one``. Raises ``ValueError`` for a factor that is not positive."""
    if not factor > 0:
        raise ValueError(f"scale factor must be > 0, got {factor}")
    stages = math.ceil(math.log(factor, UPSCALER) - 1e-9) if factor > 1 else 0
    return max(stages, 1 if at_least_one else 0)
