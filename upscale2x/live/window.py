"""`upscale2x see --camera N`: the live window. OpenCV reads the camera; Tk (Python's own) shows the picture.

Why this split: OpenCV's headless wheel has camera capture without GUI libraries (no libGL/Qt on servers and CI),
and Tk ships with Python, so the window needs nothing more. The picture itself is :func:`live.compose`; this file
only moves frames in and pixels out, so everything but the pixels on screen is tested without a screen.

Keys: m / Tab next model, 1 / 2 / 3 toggle the camera / model input / output panels, s save the current output
(PNG, full size), q / Escape quit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import RenderError
from .loop import SeeLoop, compose, fit_square

PANELS = ("camera", "model input", "output")


class Camera:
    """Frames from OpenCV camera ``index``, as RGB uint8. RenderError if it cannot be opened or stops."""

    def __init__(self, index: int):
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # its "[ WARN ...] can't open camera" lines: ours is one
        try:
            import cv2
        except ImportError:
            raise RenderError("the camera needs OpenCV: pip install 'upscale2x[live]'") from None
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        self.index, self._cv2 = index, cv2
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise RenderError(f"no camera at index {index}")

    def read(self) -> np.ndarray:
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise RenderError(f"camera {self.index} stopped sending frames")
        return np.ascontiguousarray(frame[..., ::-1])  # BGR -> RGB

    def close(self) -> None:
        self._cap.release()


class LiveView:
    """State of the live piece, independent of any window: which model, which panels, what is on screen."""

    def __init__(self, models: list[Path], make_loop: Callable[[Path], SeeLoop], size: int, fit: str, mirror: bool):
        if not models:
            raise RenderError("no see model to show")
        self.models, self.make_loop, self.size, self.fit, self.mirror = models, make_loop, size, fit, mirror
        self.index, self.shown = 0, [True, True, True]
        self.loop = make_loop(models[0])
        self.last_output: np.ndarray | None = None

    def next_model(self) -> None:
        self.index = (self.index + 1) % len(self.models)
        self.loop = self.make_loop(self.models[self.index])

    def toggle(self, panel: int) -> None:
        self.shown[panel] = not self.shown[panel]
        if not any(self.shown):
            self.shown[2] = True

    def picture(self, frame: np.ndarray) -> np.ndarray:
        """One frame through the model, drawn: the window's pixels (uint8 RGB)."""
        square = fit_square(frame, self.size, self.fit, self.mirror)
        x, y = self.loop.step(square)
        self.last_output = y
        images = [square, x, y]
        panels = [(name, img) for name, img, on in zip(PANELS, images, self.shown, strict=True) if on]
        title = f"{self.models[self.index].name} ({self.loop.engine})"
        return compose(panels, f"{title}   {self.loop.meter.readout()}")

    def save(self, folder: Path) -> Path:
        from ..io.write import write_image

        if self.last_output is None:
            raise RenderError("nothing rendered yet")
        n = 1
        while (folder / f"see_{n:04d}.png").exists():
            n += 1
        return write_image(folder / f"see_{n:04d}.png", self.last_output)


def run_window(view: LiveView, source, save_dir: Path, frames: int | None = None, on_save=None) -> None:
    """Show ``view`` fed by ``source.read()`` in a Tk window until q / Escape (or ``frames`` frames, for tests)."""
    try:
        import tkinter as tk
    except ImportError:
        raise RenderError("the window needs Tk (the python3-tk package)") from None
    try:
        root = tk.Tk()
    except tk.TclError as e:
        raise RenderError(f"cannot open a window ({e})") from None
    root.title("upscale2x see")
    label = tk.Label(root)
    label.pack()
    state = {"count": 0, "error": None, "image": None}

    def key(event) -> None:
        k = event.keysym.lower()
        if k in ("q", "escape"):
            root.quit()
        elif k in ("m", "tab"):
            view.next_model()
        elif k in ("1", "2", "3"):
            view.toggle(int(k) - 1)
        elif k == "s":
            path = view.save(save_dir)
            if on_save:
                on_save(path)

    def tick() -> None:
        try:
            pic = view.picture(source.read())
        except Exception as e:  # surfaced after the window closes
            state["error"] = e
            root.quit()
            return
        h, w = pic.shape[:2]
        state["image"] = tk.PhotoImage(data=b"P6 %d %d 255 " % (w, h) + pic.tobytes(), format="PPM")
        label.configure(image=state["image"])
        state["count"] += 1
        if frames is not None and state["count"] >= frames:
            root.quit()
            return
        root.after(1, tick)

    root.bind("<Key>", key)
    root.after(1, tick)
    try:
        root.mainloop()
    finally:
        root.destroy()
    if state["error"] is not None:
        raise state["error"]
