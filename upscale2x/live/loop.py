"""Live Learning to See: a `see` model on a stream of frames, with the web demo's Step / Average / FPS readout.

Everything here is plain numpy + Pillow, so it is tested without a camera or a screen: :class:`SeeLoop` runs
frames (the same :class:`~upscale2x.render.stages.Stage` as `upscale2x render --chain MODEL`: one preprocessing
function, one model call path), :class:`StepMeter` turns measured step times into the readout, and
:func:`compose` draws the panels and the readout into one image. The window (window.py) and the video files
(video.py) only move pixels in and out.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np

from ..errors import RenderError

FITS = ("crop", "pad", "stretch")


class StepMeter:
    """Step (ms) of the last frame, Average (ms) over the last ``window`` frames, and FPS = 1000 / Average."""

    def __init__(self, window: int = 30):
        self._steps: deque[float] = deque(maxlen=window)

    def add(self, ms: float) -> None:
        self._steps.append(float(ms))

    @property
    def step_ms(self) -> float:
        return self._steps[-1] if self._steps else 0.0

    @property
    def average_ms(self) -> float:
        return float(np.mean(self._steps)) if self._steps else 0.0

    @property
    def fps(self) -> float:
        return 1000.0 / self.average_ms if self.average_ms > 0 else 0.0

    def readout(self) -> str:
        return f"Step {self.step_ms:.1f} ms   Average {self.average_ms:.1f} ms   FPS {self.fps:.1f}"


def fit_square(frame: np.ndarray, size: int, fit: str = "crop", mirror: bool = False) -> np.ndarray:
    """A camera frame ``[H, W, 3]`` (uint8 or float) as a ``size`` x ``size`` float image in [0, 1].

    ``crop`` keeps the centre square, ``pad`` letterboxes the whole frame on black, ``stretch`` resizes it.
    """
    from ..model.resample import resize

    if fit not in FITS:
        raise RenderError(f"--fit must be one of {', '.join(FITS)}, got {fit!r}")
    x = frame.astype(np.float32) / 255.0 if frame.dtype == np.uint8 else frame.astype(np.float32)
    if mirror:
        x = x[:, ::-1]
    h, w = x.shape[:2]
    if fit == "crop":
        side = min(h, w)
        x = x[(h - side) // 2 : (h - side) // 2 + side, (w - side) // 2 : (w - side) // 2 + side]
    elif fit == "pad":
        side = max(h, w)
        canvas = np.zeros((side, side, x.shape[2]), np.float32)
        canvas[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = x
        x = canvas
    method = "area" if x.shape[0] > size else "bicubic"
    return np.clip(resize(x, size, size, method), 0.0, 1.0)


class SeeLoop:
    """A `see` bundle run frame by frame on the fastest engine it has, with optional temporal smoothing.

    ``step(frame)`` returns ``(model_input, output)``: the preprocessed (grayscale, abstracted) frame the model
    sees and the imagined frame, both float in [0, 1], and adds the step time to :attr:`meter`. With
    ``smooth`` = a in [0, 1), each output is ``a * previous + (1 - a) * new``.
    """

    def __init__(self, folder: str | Path, engine: str = "auto", smooth: float = 0.0, batch: int = 1):
        from ..model.bundle import read_card, resolve_bundle
        from ..render.stages import open_stage

        if not 0.0 <= smooth < 1.0:
            raise RenderError(f"--smooth must be in [0, 1), got {smooth}")
        self.folder = resolve_bundle(folder)
        card = read_card(self.folder)
        if card.task != "see":
            raise RenderError(f"{folder}: a {card.task} model; live `see` needs a Learning to See (see) model")
        self.stage, self.note = open_stage(self.folder, engine, batch=batch)
        self.smooth, self.meter, self._previous = smooth, StepMeter(), None

    @property
    def engine(self) -> str:
        return self.stage.engine

    def step(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t0 = time.perf_counter()
        x = self.stage.prepare(np.asarray(frame, np.float32))
        y = self.stage.run_prepared(x)
        if self.smooth and self._previous is not None and self._previous.shape == y.shape:
            y = self.smooth * self._previous + (1.0 - self.smooth) * y
        self._previous = y
        self.meter.add((time.perf_counter() - t0) * 1000.0)
        return x, y


def compose(panels: list[tuple[str, np.ndarray]], readout: str, height: int = 256) -> np.ndarray:
    """The window's picture: the panels side by side (each scaled to ``height``), titled, with the readout below.

    Returns uint8 RGB. Grayscale panels are shown as gray.
    """
    from PIL import Image, ImageDraw

    from ..model.resample import resize

    tiles = []
    for _, img in panels:
        img = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img[..., :3]
        h, w = img.shape[:2]
        width = max(1, round(w * height / h))
        if (h, w) != (height, width):
            img = resize(img, height, width, "area" if h > height else "bicubic")
        tiles.append((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8))
    bar = 22
    total_w = sum(t.shape[1] for t in tiles) or 1
    canvas = Image.new("RGB", (total_w, height + 2 * bar), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    x = 0
    for (title, _), tile in zip(panels, tiles, strict=True):
        canvas.paste(Image.fromarray(tile), (x, bar))
        draw.text((x + 6, 5), title, fill=(230, 230, 230))
        x += tile.shape[1]
    draw.text((6, height + bar + 5), readout, fill=(120, 255, 120))
    return np.asarray(canvas)
