"""benchmarks/capacity.py: architecture specs, and a real run that times two architectures on LiteRT."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from capacity import parse_arch  # noqa: E402


def test_arch_specs_name_blocks_width_and_attention():
    assert parse_arch("32") == {"res_blocks": 32, "block_width": 0, "attention": False}
    assert parse_arch("32:96") == {"res_blocks": 32, "block_width": 96, "attention": False}
    assert parse_arch("16:ca") == {"res_blocks": 16, "block_width": 0, "attention": True}
    assert parse_arch("8:128:ca") == {"res_blocks": 8, "block_width": 128, "attention": True}
    with pytest.raises(ValueError, match=r"--arch 'wide': expected BLOCKS\[:WIDTH\]\[:ca\]"):
        parse_arch("wide")
    with pytest.raises(ValueError, match="expected BLOCKS"):
        parse_arch("32:attention")


def test_a_bad_arch_is_one_usage_line():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "capacity.py"), "--arch", "32:x"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "--arch '32:x': expected BLOCKS[:WIDTH][:ca]" in run.stderr


@pytest.mark.slow
def test_capacity_times_architectures_against_the_first():
    cmd = [sys.executable, str(ROOT / "benchmarks" / "capacity.py"), "--arch", "0", "4:128:ca", "--rounds", "2"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    rows = [line.split() for line in out.splitlines() if "ms/cell" in line]
    assert [r[1] for r in rows] == ["0", "4:128:ca"]
    assert rows[0][4] == "1.00x" and float(rows[1][4].rstrip("x")) > 1.0  # four wide blocks cost time
