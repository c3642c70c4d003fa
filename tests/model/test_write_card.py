"""models/write_card.py: benchmark results into card.json (what the reproduction tests re-run) and MODEL_CARD.md."""

import json
import subprocess
import sys
from pathlib import Path

from upscale2x.model.bundle import models_dir

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "write_card.py"
RESULT = {"psnr_model": 24.6, "ssim_model": 0.62, "sharpness_model": 0.005, "lattice_model": 0.05,
          "psnr_bicubic": 24.1, "ssim_bicubic": 0.6, "sharpness_bicubic": 0.002, "lattice_bicubic": 0.003,
          "sharpness_target": 0.05, "psnr_gain_db": 0.5, "sharpness_vs_target": 0.1, "psnr_untiled": 24.6,
          "images": 5}  # fmt: skip


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_jpeg_results_go_under_their_quality_and_a_clean_result_there_is_one_usage_error(tmp_path, tiny_bundles):
    import shutil

    folder = tmp_path / "sr8x-jpeg"
    shutil.copytree(tiny_bundles["sr8x"], folder)
    card = json.loads((folder / "card.json").read_text())
    shipped = json.loads((models_dir() / "sr8x" / "card.json").read_text())
    card["training"], card["metrics"] = shipped["training"], {"held_out": 80, "l1": 0.04}
    (folder / "card.json").write_text(json.dumps(card))
    (tmp_path / "q75.json").write_text(json.dumps({**RESULT, "jpeg": 75}))
    (tmp_path / "q50.json").write_text(json.dumps({**RESULT, "jpeg": 50, "psnr_gain_db": 0.4}))
    (tmp_path / "clean.json").write_text(json.dumps(RESULT))
    r = _run(folder, "--quality-jpeg", tmp_path / "q50.json", "--quality-jpeg", tmp_path / "q75.json")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((folder / "card.json").read_text())["metrics"]
    assert metrics["quality_skimage_jpeg75"]["psnr_gain_db"] == 0.5
    assert metrics["quality_skimage_jpeg50"]["psnr_gain_db"] == 0.4
    text = (folder / "MODEL_CARD.md").read_text()
    assert text.index("`python benchmarks/quality.py --jpeg 75`") < text.index(
        "`python benchmarks/quality.py --jpeg 50`"
    )
    assert "(+0.40 dB)" in text
    before = (folder / "card.json").read_text()
    r = _run(folder, "--quality-jpeg", tmp_path / "clean.json")
    assert r.returncode == 2 and "clean.json: not a quality.py --jpeg Q result" in r.stderr
    assert (folder / "card.json").read_text() == before


def test_a_card_of_gpu_phases_then_a_cpu_fine_tune_names_each_tool_and_machine(tmp_path, tiny_bundles):
    """see-flowers: two GPU phases (models/train_jax.py) then a CPU phase (upscale2x train --init-from). The card
    said "trained with `upscale2x train`" and put all of it "on CPU", the GPU's minutes included."""
    import shutil

    folder = tmp_path / "see-mixed"
    shutil.copytree(tiny_bundles["sr8x"], folder)
    card = json.loads((folder / "card.json").read_text())
    gpu = json.loads((models_dir() / "see-faces" / "card.json").read_text())["training"]  # two GPU phases
    assert "JAX" in gpu["hardware"] and "JAX" in gpu["init_from"]["hardware"]
    cpu = {k: v for k, v in gpu.items() if k != "init_from"}
    card["training"] = {
        **cpu,
        "batch": 4,
        "train_seconds": 1800.0,
        "hardware": "CPU (2 cores, x86_64)",
        "init_from": gpu,
    }
    minutes = (gpu["train_seconds"] + gpu["init_from"]["train_seconds"]) / 60
    card["metrics"] = {"held_out": 2, "l1": 0.1}
    (folder / "card.json").write_text(json.dumps(card))
    r = _run(folder)
    assert r.returncode == 0, r.stderr
    text = (folder / "MODEL_CARD.md").read_text()
    assert "- trained in 3 phases: 2 with `models/train_jax.py` on a GPU, 1 with `upscale2x train` on a CPU:" in text
    assert f"- training time: {minutes:.0f} min on {gpu['hardware']}, then 0.50 h on CPU (2 cores, x86_64)" in text
