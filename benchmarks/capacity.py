"""sr8x capacity against speed: what an architecture costs per cell on LiteRT, and what a trained one buys in dB.

    python benchmarks/capacity.py [--arch 32 32:96 32:ca 32:96:ca 48] [--models sr8x PATH ...] [FOLDER]

--arch SPEC: an untrained sr8x generator (the shipped one's hires widths, resize decoder and lattice-free end)
of N residual blocks, ``:W`` of inner width W (``--block-width``), ``:ca`` with channel attention
(``--attention``): its int8 LiteRT time per cell, the cost of an architecture before training it.
--models: trained sr8x bundles (their LiteRT export, or one made in a temporary folder): the same time, and their
PSNR gain over bicubic on FOLDER (default scikit-image's colour photos) from `benchmarks/quality.py --engine
litert`. Every export is made in a child process (TensorFlow's idle threads would slow LiteRT down); the times
are taken in interleaved rounds, the fastest of each kept (a shared, noisy machine). Read the ratios to the
first entry, measured in this one run: targets are LiteRT time <= 1.5x the shipped sr8x's, and dB per ms of the
extra time for the gain a capacity buys.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the CLI has it (upscale2x/__init__.py), before numpy loads

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import with_litert

HERE = Path(__file__).resolve().parent


def parse_arch(spec: str) -> dict:
    """``N[:W][:ca]`` -> generator keywords; raises ``ValueError`` for anything else."""
    parts = spec.split(":")
    try:
        kw = {"res_blocks": int(parts[0]), "block_width": 0, "attention": False}
        for p in parts[1:]:
            if p == "ca":
                kw["attention"] = True
            else:
                kw["block_width"] = int(p)
    except ValueError:
        raise ValueError(f"--arch {spec!r}: expected BLOCKS[:WIDTH][:ca], e.g. 32:96:ca") from None
    return kw


def make_arch(spec: str, out: Path) -> None:
    """Save an untrained sr8x bundle of ``spec`` in ``out`` (run in a child process: it loads TensorFlow)."""
    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    kw = parse_arch(spec)
    model = unet_generator("hires", upsample="resize", lattice_free=True, zero_output=True, **kw)
    card = Card(task="sr8x", base_width=16, preset="hires", max_width=128, upsample="resize", lattice_free=True, **kw)
    save_bundle(Bundle(model, card), out)


def cell_times(folders: dict[str, Path], rounds: int, threads: int) -> dict[str, float]:
    """Fastest seconds per cell of each bundle's LiteRT export, over ``rounds`` interleaved rounds of a batch."""
    from ai_edge_litert.interpreter import Interpreter

    from upscale2x.model.bundle import read_card
    from upscale2x.model.engines import litert_record

    runs = {}
    for name, folder in folders.items():
        it = Interpreter(model_path=str(folder / litert_record(read_card(folder))["file"]), num_threads=threads)
        it.allocate_tensors()
        d = it.get_input_details()[0]
        x = np.random.default_rng(0).uniform(0, 1, d["shape"]).astype(np.float32)
        it.set_tensor(d["index"], x)
        it.invoke()  # warm-up
        runs[name] = (it, d, x)
    best = dict.fromkeys(folders, float("inf"))
    for _ in range(rounds):
        for name, (it, d, x) in runs.items():
            t = time.perf_counter()
            it.set_tensor(d["index"], x)
            it.invoke()
            best[name] = min(best[name], (time.perf_counter() - t) / d["shape"][0])
    return best


def gain(folder: Path, photos: Path | None) -> float:
    """Mean PSNR gain over bicubic (dB) from benchmarks/quality.py with LiteRT, in a child process."""
    cmd = [sys.executable, str(HERE / "quality.py"), *([str(photos)] if photos else [])]
    done = subprocess.run(
        [*cmd, "--model", str(folder), "--engine", "litert", "--json"], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["psnr_gain_db"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, help="held-out photos for --models (default: scikit-image's)")
    ap.add_argument("--arch", nargs="*", default=[], help="untrained architectures: BLOCKS[:WIDTH][:ca]")
    ap.add_argument("--models", nargs="*", default=[], help="trained sr8x bundles (names or folders)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (the fastest is kept)")
    ap.add_argument("--threads", type=int, default=1, help="LiteRT threads (1: the steadiest on a shared machine)")
    ap.add_argument("--make-arch", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)  # the child's job
    a = ap.parse_args()
    if a.make_arch:
        make_arch(a.make_arch[0], Path(a.make_arch[1]))
        return
    if not a.arch and not a.models:
        a.models = ["sr8x"]
    for spec in a.arch:
        try:
            parse_arch(spec)
        except ValueError as e:
            ap.error(str(e))
    from upscale2x.model.bundle import resolve_bundle

    with tempfile.TemporaryDirectory(prefix="upscale2x-capacity-") as tmp:
        folders = {}
        for spec in a.arch:
            out = Path(tmp) / f"arch-{spec.replace(':', '_')}"
            subprocess.run([sys.executable, __file__, "--make-arch", spec, str(out)], check=True, capture_output=True)
            folders[f"arch {spec}"] = with_litert(out, Path(tmp), name=f"{out.name}-litert")
        for m in a.models:
            folders[m] = with_litert(resolve_bundle(m), Path(tmp), name=f"model-{len(folders)}-litert")
        times = cell_times(folders, a.rounds, a.threads)
        gains = {m: gain(folders[m], a.folder) for m in a.models}
    first = next(iter(folders))
    ref_gain = gains.get(a.models[0]) if a.models else None
    print(f"int8 LiteRT, {a.threads} thread(s), fastest of {a.rounds} rounds; gain on {a.folder or 'scikit-image'}")
    for name in folders:
        ms = times[name] * 1000
        line = f"{name:40s} {ms:7.1f} ms/cell  {times[name] / times[first]:5.2f}x {first}"
        if name in gains:
            line += f"  gain {gains[name]:+.3f} dB"
            extra = ms - times[a.models[0]] * 1000
            if name != a.models[0] and extra > 0:
                more = gains[name] - ref_gain
                line += f"  {more:+.3f} dB for {extra:+.1f} ms: {more / extra:+.4f} dB/ms"
        print(line)


if __name__ == "__main__":
    main()
