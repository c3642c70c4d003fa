"""models/prepare_data.py: the training folders the shipped models' cards name."""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "prepare_data.py"


def _module():
    spec = importlib.util.spec_from_file_location("prepare_data", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sr8x_all_links_the_upscaler_set_and_the_everyday_photos_under_their_prefixes(tmp_path):
    sr, photos = tmp_path / "sr8x", tmp_path / "photos"
    for folder, names in {
        sr: ["a.jpg", "b.jpg"],
        photos / "bsds500": ["1.jpg"],
        photos / "imagenet-samples": ["n1.JPEG"],
        photos / "kodak24": ["k.png"],
    }.items():
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).write_bytes(name.encode())
    out = tmp_path / "all"
    assert _module().link_all(sr, photos, out) == 4
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.jpg", "bsds_1.jpg", "inet_n1.JPEG"]
    assert (out / "inet_n1.JPEG").read_bytes() == b"n1.JPEG"  # a link to the photo, kodak24 left out
    assert _module().link_all(sr, photos, out) == 4  # a second run keeps what is there


def test_missing_arguments_and_a_wrong_root_are_one_usage_line(tmp_path):
    for args in ([], [tmp_path, tmp_path / "out"]):
        r = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 2
        assert "usage: prepare_data.py" in r.stderr and "Traceback" not in r.stderr
    assert f"{tmp_path}: no usr/share/wallpapers inside" in r.stderr
    assert not (tmp_path / "out").exists()
