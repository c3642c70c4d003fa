import subprocess
import sys

from conftest import make_bundle
from typer.testing import CliRunner

from upscale2x.cli import app

runner = CliRunner()


def test_help_does_not_import_tensorflow():
    code = "import sys; from upscale2x.cli import app; assert 'tensorflow' not in sys.modules, 'TF imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "info" in r.output and "models" in r.output


def test_info_preset_prints_parameter_count():
    r = runner.invoke(app, ["info", "--preset", "small"])
    assert r.exit_code == 0, r.output
    assert "parameters: 6,297,491" in r.output
    r = runner.invoke(app, ["info", "--preset", "large", "--in-channels", "3"])
    assert "parameters: 54,425,859" in r.output
    r = runner.invoke(app, ["info", "--preset", "small", "--upsample", "resize"])
    assert "parameters: 4,768,299" in r.output and "upsample resize" in r.output
    r = runner.invoke(
        app, ["info", "--preset", "hires", "--in-channels", "3", "--upsample", "resize", "--res-blocks", "8"]
    )
    assert "parameters: 3,044,259" in r.output and "8 residual blocks" in r.output
    r = runner.invoke(app, ["info", "--preset", "hires", "--res-blocks", "65"])
    assert r.exit_code == 2 and "--res-blocks" in r.output
    r = runner.invoke(app, ["info", "--preset", "small", "--upsample", "bicubic"])
    assert r.exit_code == 1 and "--upsample: expected one of transpose, resize, bilinear, got 'bicubic'" in r.output


def test_info_bundle_and_models_listing(tmp_path, monkeypatch):
    make_bundle(tmp_path / "tiny", "sr8x")
    monkeypatch.setenv("UPSCALE2X_MODELS", str(tmp_path))
    r = runner.invoke(app, ["info", "tiny"])
    assert r.exit_code == 0, r.output
    assert '"task": "sr8x"' in r.output and "parameters:" in r.output and "MB)" in r.output
    r = runner.invoke(app, ["models"])
    assert r.exit_code == 0 and r.output.startswith("tiny: task sr8x, x8, 32->256 px cells")


def test_errors_are_one_line_exit_1(tmp_path):
    r = runner.invoke(app, ["info", str(tmp_path / "missing")])
    assert r.exit_code == 1
    assert "missing: no such model folder" in r.output and len(r.output.strip().splitlines()) == 1


def test_usage_errors_exit_2():
    r = runner.invoke(app, ["info", "--preset", "huge"])
    assert r.exit_code == 2 and "unknown preset" in r.output
    assert runner.invoke(app, ["nonsense"]).exit_code == 2
