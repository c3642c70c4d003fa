"""Wall time of the whole `upscale2x render` command (start-up, model load, render, PNG), per engine, in one run.

    python benchmarks/cli_render.py [IMAGE] [--scale 8] [--repeats 3]

Each run is a fresh process, as a user's is. LiteRT runs never import TensorFlow (about 4 s of the Keras time).
Target: examples/coffee.png at --scale 8 under 1 s with the shipped LiteRT bundles.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image", nargs="?", default="examples/coffee.png")
    ap.add_argument("--scale", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("litert", "keras"):
            runs = []
            for _ in range(a.repeats):
                cmd = [
                    sys.executable,
                    "-m",
                    "upscale2x",
                    "render",
                    a.image,
                    "--scale",
                    str(a.scale),
                    "--engine",
                    engine,
                    "-o",
                    str(Path(tmp) / "out.png"),
                    "--overwrite",
                    "-q",
                ]
                t = time.perf_counter()
                subprocess.run(cmd, check=True)
                runs.append(time.perf_counter() - t)
            times[engine] = statistics.median(runs)
            print(
                f"{engine:7s} median {times[engine]:.2f} s over {a.repeats} runs "
                f"({', '.join(f'{r:.2f}' for r in runs)})"
            )
    print(
        f"keras / litert: {times['keras'] / times['litert']:.1f}x; litert under 1 s: "
        f"{'yes' if times['litert'] < 1 else 'NO'}"
    )


if __name__ == "__main__":
    main()
