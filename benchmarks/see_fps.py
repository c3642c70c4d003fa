"""Learning to See frames per second at 256x256, per model and engine, in one run.

    python benchmarks/see_fps.py [--frames 120] [--presets medium large] [--engines litert keras]

For each shipped `see` bundle (and random-weight `see` generators of the given presets, exported to LiteRT int8
in a temporary folder), frames of a synthetic 256x256 video (PyAV, moving shapes) go through `SeeLoop` one at a
time, as the live window runs them: preprocessing (grayscale, 24x area down, cubic up) + model. FPS comes from
the loop's own StepMeter; "video FPS" is `upscale2x see --video` end to end (decode + model + H.264 encode).
Target on 2 CPU cores: >= 60 FPS for the small preset (the seeds' best browser figure was 40).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the CLI has it (upscale2x/__init__.py)

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def synthetic_video(path: Path, frames: int, side: int = 256, rate: int = 30) -> list[np.ndarray]:
    """Write a synthetic video (a bright disc moving over a gradient) and return its decoded frames."""
    import av

    yy, xx = np.mgrid[0:side, 0:side] / side
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=rate)
        s.width = s.height = side
        s.pix_fmt = "yuv420p"
        for i in range(frames):
            t = i / frames
            disc = ((xx - 0.5 - 0.3 * np.cos(6.28 * t)) ** 2 + (yy - 0.5 - 0.3 * np.sin(6.28 * t)) ** 2) < 0.03
            img = np.stack([xx * 0.6 + disc * 0.4, yy * 0.6 + disc * 0.4, (1 - xx) * 0.5 + disc * 0.4], -1)
            for p in s.encode(av.VideoFrame.from_ndarray((img * 255).astype(np.uint8), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.float32) / 255 for f in c.decode(video=0)]


def loop_fps(folder: Path, engine: str, frames: list[np.ndarray]) -> tuple[float, float, str]:
    from upscale2x.live.loop import SeeLoop

    loop = SeeLoop(folder, engine)
    for f in frames[:5]:  # warm-up
        loop.step(f)
    loop.meter = type(loop.meter)(window=len(frames))
    for f in frames:
        loop.step(f)
    return loop.meter.fps, loop.meter.average_ms, loop.engine


def video_fps(folder: Path, engine: str, video: Path, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "upscale2x",
            "see",
            str(folder),
            "--video",
            str(video),
            "-o",
            str(Path(tmp) / "out.mp4"),
            "--engine",
            engine,
            "-q",
        ]
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        return n / (time.perf_counter() - t)


def preset_bundle(preset: str, root: Path) -> Path:
    """A random-weight see bundle of ``preset`` with an int8 LiteRT export (made in another process)."""
    code = (
        "import sys\nfrom upscale2x.model._tf import keras\n"
        "from upscale2x.model.bundle import Bundle, Card, save_bundle\n"
        "from upscale2x.model.export import export_litert\nfrom upscale2x.model.nets import PRESETS, unet_generator\n"
        f"keras.utils.set_random_seed(0)\np = PRESETS[{preset!r}]\n"
        f"m = unet_generator({preset!r}, in_channels=1, upsample='resize')\n"
        "c = Card(task='see', base_width=p.base_width, max_width=p.max_width, preset=p.name, upsample='resize')\n"
        f"f = save_bundle(Bundle(m, c), {str(root / preset)!r})\nexport_litert(f, 'int8', max_error=1.0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return root / preset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--presets", nargs="*", default=["medium", "large"])
    ap.add_argument("--engines", nargs="+", default=["litert", "keras"], help="LiteRT first: before TF loads")
    ap.add_argument("--no-video", action="store_true", help="skip the end-to-end video runs")
    ap.add_argument("--models", nargs="*", default=[], help="more see bundles (folders) to time beside the shipped")
    a = ap.parse_args()
    from upscale2x.model.bundle import list_bundles, models_dir

    tmp = Path(tempfile.mkdtemp(prefix="upscale2x-see-fps-"))
    try:
        frames = synthetic_video(tmp / "in.mp4", a.frames)
        jobs = [(n, models_dir() / n, c.preset or "custom") for n, c in list_bundles() if c.task == "see"]
        jobs += [(Path(m).name, Path(m), "") for m in a.models]
        jobs += [(f"random {p}", preset_bundle(p, tmp), p) for p in a.presets]
        print(f"{len(frames)} frames of 256x256, one at a time")
        print(f"{'model':<16}{'preset':<8}{'engine':<8}{'ms/frame':>10}{'FPS':>8}{'video FPS':>11}")
        for name, folder, preset in jobs:
            for engine in a.engines:
                fps, ms, used = loop_fps(folder, engine, frames)
                vid = "" if a.no_video else f"{video_fps(folder, engine, tmp / 'in.mp4', len(frames)):11.1f}"
                print(f"{name:<16}{preset:<8}{used:<8}{ms:10.2f}{fps:8.1f}{vid}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
