"""`upscale2x see`: Learning to See live (a camera in a window) or on a video / a folder of frames."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import err, handles_errors, plain, progress_bar, warn


@handles_errors
def see(
    model: Annotated[str, typer.Argument(help="A see bundle: a shipped name (see-flowers) or a folder.")],
    camera: Annotated[int | None, typer.Option(help="Camera index: show the live window.")] = None,
    video: Annotated[
        Path | None, typer.Option(help="A video file, or a folder of frames, to process frame by frame.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Output video (.mp4 .mov .mkv .avi .webm) or folder.")
    ] = None,
    side_by_side: Annotated[bool, typer.Option(help="Input and output side by side.")] = False,
    smooth: Annotated[float, typer.Option(help="Blend each output with the previous one: 0 (off) to <1.")] = 0.0,
    engine: Annotated[str, typer.Option(help="auto (LiteRT when the bundle has an export), keras or litert.")] = "auto",
    codec: Annotated[str | None, typer.Option(help="Video codec (default by extension; png is lossless).")] = None,
    size: Annotated[int, typer.Option(help="Camera: the side the camera image is fit to (256 = one cell).")] = 256,
    fit: Annotated[str, typer.Option(help="Camera: crop (centre square), pad or stretch.")] = "crop",
    mirror: Annotated[bool, typer.Option(help="Camera: mirror the image, as a mirror does.")] = False,
    save_dir: Annotated[Path, typer.Option(help="Camera: where `s` saves the output frame.")] = Path("."),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output video.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Learning to See, live: --camera N opens a window; --video IN -o OUT processes a file or a frame folder."""
    from ..errors import RenderError
    from ..live.loop import SeeLoop

    if (camera is None) == (video is None):
        raise RenderError("give --camera N or --video IN (one of them)")
    if camera is not None:
        return _live(model, camera, engine, smooth, size, fit, mirror, save_dir)
    loop = SeeLoop(model, engine, smooth)
    if loop.note:
        warn(loop.note)
    if output is None:
        raise RenderError("--video needs -o OUTPUT")
    with progress_bar(quiet, "frames") as update:
        progress = lambda done, total: update(done, total, note=f"{loop.meter.fps:.1f} FPS")  # noqa: E731
        if video.is_dir():
            from ..live.video import see_frames

            out = see_frames(video, output, loop, side_by_side, progress)
        else:
            from ..live.video import see_video

            out = see_video(video, output, loop, side_by_side, codec, overwrite, progress)
    if not quiet:
        err.print(f"wrote {plain(out)} ({loop.engine}, average {loop.meter.average_ms:.1f} ms a frame)")


def _live(model, camera, engine, smooth, size, fit, mirror, save_dir) -> None:
    from ..errors import RenderError
    from ..live.loop import FITS, SeeLoop
    from ..live.window import Camera, LiveView, run_window
    from ..model.bundle import list_bundles, models_dir, resolve_bundle

    if fit not in FITS:
        raise RenderError(f"--fit must be one of {', '.join(FITS)}, got {fit!r}")
    if not save_dir.is_dir():
        raise RenderError(f"--save-dir {save_dir}: no such folder")
    first = resolve_bundle(model)
    others = [models_dir() / n for n, c in list_bundles() if c.task == "see" and (models_dir() / n) != first]
    view = LiveView([first, *others], lambda f: SeeLoop(f, engine, smooth), size, fit, mirror)  # model errors first
    if view.loop.note:
        warn(view.loop.note)
    source = Camera(camera)
    try:
        run_window(view, source, save_dir, on_save=lambda p: err.print(f"saved {plain(p)}"))
    finally:
        source.close()
