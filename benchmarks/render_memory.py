"""Peak memory of large renders against the size of their output, one process per case.

    python benchmarks/render_memory.py [--out-size 16384] [--cases png8 scale12 tiff16] [--model NAME|PATH|tiny]
        [--engine auto]

Each case is `upscale2x render` (render_file) of a photo sized so that the output is about out-size wide, into a
temporary folder, in a fresh process that reports its own peak RSS:
- png8: --scale 8, 8-bit PNG;
- scale12: --scale 12 (two 8x stages; the first stage's output is area-shrunk band by band to the second's input);
- tiff16: --scale 8, 16-bit TIFF (written tile band by tile band).
'tiny' is a random few-thousand-parameter bundle (measures the tiler and writers, fast). Target: peak RSS under
1.5 GB for a 16384-px output in every case (a float32 canvas of 16384² RGB alone is 3.2 GB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {"png8": (8, "png", 8), "scale12": (12, "png", 8), "tiff16": (8, "tiff", 16)}


def one(case: str, out_size: int, model: str | None, engine: str) -> None:
    from _common import peak_rss_mb, photo

    from upscale2x.io.write import write_image
    from upscale2x.render.files import RenderOptions, render_file

    scale, fmt, bits = CASES[case]
    side = -(-out_size // scale)
    with tempfile.TemporaryDirectory() as tmp:
        if model == "tiny":
            from _common import bundle

            model = str(bundle("tiny").path)
        src = write_image(Path(tmp) / "in.png", photo(side, side), bits=bits)
        base = peak_rss_mb()
        t = time.perf_counter()
        opts = RenderOptions(scale=scale, model=model, fmt=fmt, bits=bits, engine=engine)
        out = render_file(src, Path(tmp) / f"out.{fmt}", opts)
        seconds = time.perf_counter() - t
        size_mb = out.stat().st_size / 1e6
    print(
        json.dumps(
            {
                "case": case,
                "side": side * scale,
                "peak_mb": peak_rss_mb(),
                "before_mb": base,
                "seconds": seconds,
                "file_mb": size_mb,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-size", type=int, default=16384)
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--model", default=None, help="sr8x bundle (default: shipped sr8x), or 'tiny'")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return one(a.one, a.out_size, a.model, a.engine)
    canvas = a.out_size**2 * 3 * 4 / 1e6
    print(f"output about {a.out_size}² RGB; a float32 canvas of it would be {canvas:.0f} MB")
    for case in a.cases:
        cmd = [sys.executable, __file__, "--one", case, "--out-size", str(a.out_size), "--engine", a.engine]
        r = subprocess.run([*cmd, *(["--model", a.model] if a.model else [])], capture_output=True, text=True)
        if r.returncode:
            print(f"{case}: failed\n{r.stderr[-2000:]}")
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        ok = "yes" if d["peak_mb"] < 1500 else "NO"
        print(
            f"{case:<8} output {d['side']}² ({d['file_mb']:.0f} MB file) in {d['seconds']:.0f} s: peak RSS "
            f"{d['peak_mb']:.0f} MB (before rendering {d['before_mb']:.0f}); "
            f"peak / canvas {d['peak_mb'] / canvas:.3f}; "
            f"under 1500 MB: {ok}"
        )


if __name__ == "__main__":
    main()
