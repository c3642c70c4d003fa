"""Issue 28 repros (hardening round 2): each fault is one `error:` line, exit != 0, and nothing left behind."""

import os

import numpy as np
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.io.write import write_image

runner = CliRunner()


def _error_line(r) -> str:
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert r.exit_code != 0, r.output
    assert "Traceback" not in r.output
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, r.output
    return errors[0]


def _img(path, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_image(path, np.random.default_rng(0).random((*size, 3)).astype(np.float32))


def test_two_inputs_with_one_output_name_are_refused_before_rendering(tmp_path, tiny_bundles):
    a, b = _img(tmp_path / "a" / "x.png"), _img(tmp_path / "b" / "x.png")
    r = runner.invoke(
        app, ["render", str(a), str(b), "-o", str(tmp_path / "out"), "--model", str(tiny_bundles["sr8x"])]
    )
    line = _error_line(r)
    assert f"{a} and {b} would both be written to {tmp_path / 'out' / 'x_x8.png'}" in line
    assert not (tmp_path / "out").exists()


def test_an_empty_folder_is_an_error_and_creates_no_output_folder(tmp_path, tiny_bundles):
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["render", str(tmp_path / "empty"), "-o", str(tmp_path / "out")])
    assert "no images found" in _error_line(r)
    assert not (tmp_path / "out").exists()


def test_a_folder_input_with_an_image_named_output_is_refused(tmp_path, tiny_bundles):
    _img(tmp_path / "adir.png" / "one.png")  # a folder named like an image
    r = runner.invoke(app, ["render", str(tmp_path / "adir.png"), "-o", str(tmp_path / "o.png")])
    assert "named like an image file" in _error_line(r)
    assert not (tmp_path / "o.png").exists()


def test_an_unwritable_output_folder_is_one_line(tmp_path, tiny_bundles, monkeypatch):
    _img(tmp_path / "in" / "x.png")
    out = tmp_path / "ro"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(out) and mode & os.W_OK else real(p, mode))
    r = runner.invoke(app, ["render", str(tmp_path / "in"), "-o", str(out), "--model", str(tiny_bundles["sr8x"])])
    assert f"{out}: cannot write into this folder (permission denied)" in _error_line(r)
    assert list(out.iterdir()) == []


def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path, tiny_bundles, monkeypatch):
    from pathlib import Path

    src = _img(tmp_path / "in" / "x.png")

    def refuse(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    r = runner.invoke(
        app, ["render", str(src.parent), "-o", str(tmp_path / "new"), "--model", str(tiny_bundles["sr8x"])]
    )
    assert "new: cannot create the output folder (Permission denied)" in _error_line(r)


def test_no_tiles_too_big_is_refused_before_stage_one_runs(tmp_path, tiny_bundles, monkeypatch):
    from upscale2x.render.stages import Stage

    src = _img(tmp_path / "big.png", (300, 300))  # stage 1 alone fits (2560 px), the second stage does not
    ran = []
    monkeypatch.setattr(Stage, "run_prepared", lambda self, *a, **k: ran.append(1))
    r = runner.invoke(app, ["render", str(src), "--no-tiles", "--scale", "64", "--model", str(tiny_bundles["sr8x"])])
    assert "--no-tiles: a 19200x19200 output is too big" in _error_line(r).replace("\n", "")
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]


def test_a_see_model_given_as_model_hints_at_chain(tmp_path, tiny_bundles):
    src = _img(tmp_path / "in.png")
    see = tiny_bundles["see"]
    r = runner.invoke(app, ["render", str(src), "--model", str(see)])
    line = _error_line(r)
    assert f"a see model (x1) is not an upscaler; run it with --chain {see}" in line.replace("\n", "")
    assert "--scale" not in line
    r = runner.invoke(app, ["render", str(src), "--model", str(see), "--scale", "8"])
    assert "--scale needs an 8x (sr8x) model" in _error_line(r)


def test_a_failing_render_draws_no_empty_progress_bar(tmp_path):
    r = runner.invoke(app, ["render", str(tmp_path / "missing.png")])
    _error_line(r)
    assert "0/?" not in r.output and "━" not in r.output, r.output


def test_export_write_problems_are_one_line_before_converting(tmp_path, tiny_bundles, monkeypatch):
    import shutil

    import upscale2x.model.export as export

    bundle = shutil.copytree(tiny_bundles["sr8x"], tmp_path / "b")
    converted = []
    real_convert = export._convert
    monkeypatch.setattr(export, "_convert", lambda *a: converted.append(1) or real_convert(*a))
    (tmp_path / "afile").write_text("x")
    r = runner.invoke(app, ["export", str(bundle), "-o", str(tmp_path / "afile"), "--overwrite"])
    assert "afile: is a file; -o needs a folder" in _error_line(r)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m: False if str(p) == str(bundle) and m & os.W_OK else real_access(p, m)
    )
    r = runner.invoke(app, ["export", str(bundle)])
    assert "the bundle is read-only" in _error_line(r).replace("\n", "")
    assert converted == []  # both refused before the conversion ran
    monkeypatch.setattr(os, "access", real_access)

    def full(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_bundle", full)
    r = runner.invoke(app, ["export", str(bundle), "-o", str(tmp_path / "copy"), "--max-error", "1"])
    assert "copy: cannot write the export (No space left on device); nothing written" in _error_line(r)
    assert not (tmp_path / "copy").exists()


def test_help_at_80_columns_keeps_every_flag_name_whole():
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-m", "upscale2x", "train", "--help"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "…" not in r.stdout
    for flag in ("--feature-matching", "--checkpoint-steps", "--no-spectral-norm", "--no-flip-vertical"):
        assert flag in r.stdout, flag
