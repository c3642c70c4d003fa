"""Live Learning to See: the readout, the drawing, frames through a see model, videos and frame folders."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.errors import RenderError
from upscale2x.io.read import read_image
from upscale2x.io.write import write_image
from upscale2x.live.loop import SeeLoop, StepMeter, compose, fit_square

av = pytest.importorskip("av")
runner = CliRunner()


def make_video(path, frames=8, size=(56, 72), rate=12, codec="png", audio=True, seed=0):
    """A synthetic video: moving gradients (and a 440 Hz tone), lossless by default so frames are known exactly."""
    rng = np.random.default_rng(seed)
    base = rng.random((*size, 3))
    with av.open(str(path), "w") as c:
        v = c.add_stream(codec, rate=rate)
        v.width, v.height = size[1], size[0]
        v.pix_fmt = "rgb24" if codec == "png" else "yuv420p"
        a = c.add_stream("pcm_s16le", rate=8000) if audio else None
        if a is not None:
            a.layout = "mono"
        for i in range(frames):
            img = (np.roll(base, i * 3, axis=1) * 255).astype(np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
            if a is not None:
                t = (np.arange(8000 // rate) + i * (8000 // rate)) / 8000
                samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)[None]
                af = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
                af.sample_rate = 8000
                for p in a.encode(af):
                    c.mux(p)
        for s in (v, a):
            if s is not None:
                for p in s.encode():
                    c.mux(p)
    return path


def read_video(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
        return frames, v.average_rate, len(c.streams.audio)


def test_step_meter_is_computed_from_the_measured_steps():
    m = StepMeter(window=3)
    assert (m.step_ms, m.average_ms, m.fps) == (0.0, 0.0, 0.0)
    for ms in (40.0, 10.0, 20.0, 30.0):  # the first falls out of the window
        m.add(ms)
    assert (m.step_ms, m.average_ms, m.fps) == (30.0, 20.0, 50.0)
    assert m.readout() == "Step 30.0 ms   Average 20.0 ms   FPS 50.0"


def test_see_loop_measures_real_steps(tiny_bundles):
    loop = SeeLoop(tiny_bundles["see"])
    frame = np.random.default_rng(0).random((64, 80, 3), dtype=np.float32)
    x, y = loop.step(frame)
    assert x.shape == (64, 80, 1) and y.shape == (64, 80, 3)
    assert loop.meter.step_ms > 0 and loop.meter.fps == pytest.approx(1000 / loop.meter.step_ms)


def test_fit_square():
    frame = np.zeros((40, 80, 3), np.uint8)
    frame[:, :40] = 255  # left half white
    crop, pad, stretch = (fit_square(frame, 32, f) for f in ("crop", "pad", "stretch"))
    assert crop.shape == pad.shape == stretch.shape == (32, 32, 3)
    assert pad[0].max() == 0 and pad[16, 2] == pytest.approx(1.0)  # letterboxed: black bands top and bottom
    assert crop[:, :14].min() == pytest.approx(1.0) and crop[:, 18:].max() == pytest.approx(0.0)
    mirrored = fit_square(frame, 32, "stretch", mirror=True)
    np.testing.assert_allclose(mirrored, stretch[:, ::-1], atol=1e-6)
    with pytest.raises(RenderError, match="--fit must be one of crop, pad, stretch"):
        fit_square(frame, 32, "zoom")


def test_compose_draws_the_panels_and_the_readout():
    a = np.full((64, 64, 3), 0.5, np.float32)
    g = np.full((64, 64, 1), 1.0, np.float32)
    pic = compose([("camera", a), ("input", g)], "Step 1.0 ms   Average 1.0 ms   FPS 1000.0", height=128)
    assert pic.dtype == np.uint8 and pic.shape == (128 + 44, 256, 3)
    assert pic[22 + 64, 64].tolist() == [128, 128, 128] and pic[22 + 64, 192].tolist() == [255, 255, 255]
    assert pic[128 + 22 :].max() > 0  # the readout is drawn in the bottom bar


def test_smoothing_blends_with_the_previous_output(tiny_bundles):
    rng = np.random.default_rng(1)
    f1, f2 = rng.random((2, 64, 64, 3), dtype=np.float32)
    plain = SeeLoop(tiny_bundles["see"])
    _, y1 = plain.step(f1)
    _, y2 = plain.step(f2)
    smooth = SeeLoop(tiny_bundles["see"], smooth=0.75)
    smooth.step(f1)
    _, s2 = smooth.step(f2)
    np.testing.assert_allclose(s2, 0.75 * y1 + 0.25 * y2, atol=1e-6)
    with pytest.raises(RenderError, match=r"--smooth must be in \[0, 1\)"):
        SeeLoop(tiny_bundles["see"], smooth=1.0)


def test_a_video_frame_equals_render_chain_of_that_frame(tmp_path, tiny_bundles):
    src = make_video(tmp_path / "in.mov")
    frames_in, _, _ = read_video(src)
    out = tmp_path / "out.mov"
    r = runner.invoke(
        app, ["see", str(tiny_bundles["see"]), "--video", str(src), "-o", str(out), "--codec", "png", "-q"]
    )
    assert r.exit_code == 0, r.output
    frames, rate, audio = read_video(out)
    assert len(frames) == 8 and frames[0].shape == (56, 72, 3) and rate == 12 and audio == 1
    write_image(tmp_path / "f5.png", frames_in[5].astype(np.float32) / 255)
    r = runner.invoke(
        app,
        [
            "render",
            str(tmp_path / "f5.png"),
            "--chain",
            str(tiny_bundles["see"]),
            "-o",
            str(tmp_path / "f5_see.png"),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    want = np.round(read_image(tmp_path / "f5_see.png").rgb * 255)
    assert np.abs(frames[5].astype(np.float64) - want).max() <= 1


def test_side_by_side_and_a_lossy_mp4(tmp_path, tiny_bundles):
    src = make_video(tmp_path / "in.mov", frames=5, size=(33, 45), audio=False)
    out = tmp_path / "out.mp4"
    r = runner.invoke(
        app, ["see", str(tiny_bundles["see"]), "--video", str(src), "-o", str(out), "--side-by-side", "-q"]
    )
    assert r.exit_code == 0, r.output
    frames, rate, audio = read_video(out)
    assert len(frames) == 5 and frames[0].shape == (34, 90, 3) and rate == 12 and audio == 0  # 4:2:0: even sides


def test_a_folder_of_frames_in_a_folder_out(tmp_path, tiny_bundles):
    rng = np.random.default_rng(2)
    (tmp_path / "in").mkdir()
    for i in range(3):
        write_image(tmp_path / "in" / f"f{i:03d}.png", rng.random((40, 50, 3), dtype=np.float32))
    r = runner.invoke(
        app, ["see", str(tiny_bundles["see"]), "--video", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["f000.png", "f001.png", "f002.png"]
    assert read_image(tmp_path / "out" / "f001.png").size == (40, 50)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--video", "{tmp}/notavideo.mp4", "-o", "{tmp}/o.mp4"], "notavideo.mp4: not a readable video"),
        (["--video", "{tmp}/in.mov", "-o", "{tmp}/nowhere/o.mp4"], "output folder"),
        (["--video", "{tmp}/in.mov", "-o", "{tmp}/o.xyz"], "unknown video extension"),
        (["--video", "{tmp}/in.mov"], "--video needs -o"),
        ([], "give --camera N or --video IN"),
        (["--camera", "97"], "no camera at index 97"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, tiny_bundles, args, message):
    make_video(tmp_path / "in.mov", frames=2, audio=False)
    (tmp_path / "notavideo.mp4").write_text("hello")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = runner.invoke(app, ["see", str(tiny_bundles["see"]), *[a.format(tmp=tmp_path) for a in args], "-q"])
    assert r.exit_code == 1, r.output
    assert r.output.startswith("error:") and message in r.output and len(r.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_model_that_is_not_a_see_model(tmp_path, tiny_bundles):
    src = make_video(tmp_path / "in.mov", frames=2, audio=False)
    r = runner.invoke(app, ["see", str(tiny_bundles["sr8x"]), "--video", str(src), "-o", str(tmp_path / "o.mp4")])
    assert r.exit_code == 1 and "a sr8x model; live `see` needs a Learning to See (see) model" in r.output


def test_sigterm_during_a_video_leaves_nothing(tmp_path, tiny_bundles):
    src = make_video(tmp_path / "long.mp4", frames=1500, size=(64, 64), codec="mpeg4", audio=False)
    out = tmp_path / "out.mp4"
    cmd = [sys.executable, "-m", "upscale2x", "see", str(tiny_bundles["see"]), "--video", str(src), "-o", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(f.name.endswith(".part") for f in tmp_path.iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # some frames in
    assert p.poll() is None, "the render ended before it could be interrupted"
    p.send_signal(signal.SIGTERM)
    _, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr
    assert "interrupted" in stderr
    assert sorted(f.name for f in tmp_path.iterdir()) == ["long.mp4"]


def test_the_live_view_switches_models_toggles_panels_and_saves(tmp_path, tiny_bundles):
    from upscale2x.live.window import LiveView

    view = LiveView([tiny_bundles["see"], tiny_bundles["see"]], lambda f: SeeLoop(f), 64, "crop", True)
    frame = (np.random.default_rng(3).random((48, 80, 3)) * 255).astype(np.uint8)
    pic = view.picture(frame)
    assert pic.shape == (256 + 44, 3 * 256, 3)  # three panels, drawn 256 px high
    view.toggle(0)
    assert view.picture(frame).shape == (256 + 44, 2 * 256, 3)
    view.next_model()
    assert view.index == 1
    saved = view.save(tmp_path)
    assert saved.name == "see_0001.png" and read_image(saved).size == (64, 64)


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (run under xvfb-run)")
def test_the_window_runs_on_a_fake_camera(tmp_path, tiny_bundles):
    from upscale2x.live.window import LiveView, run_window

    class FakeCamera:
        def read(self):
            return np.full((48, 64, 3), 128, np.uint8)

    view = LiveView([tiny_bundles["see"]], lambda f: SeeLoop(f), 64, "crop", False)
    run_window(view, FakeCamera(), tmp_path, frames=5)
    assert view.loop.meter.fps > 0


def test_a_video_that_breaks_off_midway_is_one_line_and_leaves_nothing(tmp_path, tiny_bundles, monkeypatch):
    """FFmpeg's errors mid-stream (a truncated file, a full disk) used to be tracebacks."""
    import upscale2x.live.video as video

    src = make_video(tmp_path / "in.mp4", frames=4, size=(64, 64), codec="mpeg4", audio=False)
    real = video._encode
    for fault, message in (
        (av.error.InvalidDataError(1094995529, "Invalid data found when processing input"), "could not be read"),
        (OSError(28, "No space left on device"), "cannot write the video (No space left on device)"),
    ):

        def broken(av_, src_, tmp, *a, fault=fault):
            tmp.write_bytes(b"half a video")  # something was written before it broke
            raise fault

        monkeypatch.setattr(video, "_encode", broken)
        out = tmp_path / "o.mp4"
        r = runner.invoke(app, ["see", str(tiny_bundles["see"]), "--video", str(src), "-o", str(out), "-q"])
        lines = [line for line in r.output.splitlines() if line.strip()]
        assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error:"), r.output
        assert message in r.output.replace("\n", ""), r.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]  # no output, no temporary file
    monkeypatch.setattr(video, "_encode", real)


def test_a_full_disk_under_a_frames_folder_names_the_output(tmp_path, tiny_bundles, monkeypatch):
    from upscale2x.errors import ImageWriteError

    (tmp_path / "in").mkdir()
    write_image(tmp_path / "in" / "f0.png", np.random.default_rng(0).random((40, 50, 3), dtype=np.float32))

    def full(path, *a, **k):
        raise ImageWriteError(f"{path}: cannot write (No space left on device)")

    monkeypatch.setattr("upscale2x.io.write.write_image", full)
    out = tmp_path / "out"
    r = runner.invoke(app, ["see", str(tiny_bundles["see"]), "--video", str(tmp_path / "in"), "-o", str(out), "-q"])
    assert r.exit_code == 1, r.output
    assert f"error: {out}: cannot write f0.png (cannot write (No space left on device))" in r.output.replace("\n", "")
    assert ".part" not in r.output and sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_missing_camera_is_one_line_without_opencvs_warnings(tiny_bundles):
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "upscale2x", "see", str(tiny_bundles["see"]), "--camera", "7"],
        capture_output=True,
        text=True,
        env={k: v for k, v in __import__("os").environ.items() if k != "OPENCV_LOG_LEVEL"},
    )
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 1 and lines == ["error: no camera at index 7"], r.stderr
