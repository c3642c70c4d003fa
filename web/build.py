"""Build the browser runtimes: LiteRT.js for every `upscale2x web` site, OpenSeadragon for `upscale2x studio`.

    python web/build.py

Runs `npm ci` here (web/package.json pins @litertjs/core and openseadragon; package-lock.json pins every file),
then copies the LiteRT.js module and its two non-threaded WebAssembly builds (relaxed-SIMD and compatible) into
web/runtime/litert/ and OpenSeadragon's script and button images into web/runtime/openseadragon/, with their
licence notices. Needs npm and its registry once; the pages they go into need no network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = [
    "dist/index.js",
    "wasm/litert_wasm_internal.js",
    "wasm/litert_wasm_internal.wasm",
    "wasm/litert_wasm_compat_internal.js",
    "wasm/litert_wasm_compat_internal.wasm",
]


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print("web/build.py: npm not found (install Node.js)", file=sys.stderr)
        return 1
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    pkg = HERE / "node_modules" / "@litertjs" / "core"
    out = HERE / "runtime"
    tmp = HERE / ".runtime.part"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "litert").mkdir(parents=True)
    for f in FILES:
        shutil.copyfile(pkg / f, tmp / "litert" / Path(f).name)
    # LiteRT.js imports its helper package by a bare name, which a browser cannot resolve without a bundler:
    # ship the helper beside it and point the import at the file.
    shutil.copyfile(
        HERE / "node_modules" / "@litertjs" / "wasm-utils" / "dist" / "index.js", tmp / "litert" / "wasm-utils.js"
    )
    index = tmp / "litert" / "index.js"
    text = index.read_text()
    if 'from "@litertjs/wasm-utils"' not in text:
        raise SystemExit("web/build.py: @litertjs/core no longer imports @litertjs/wasm-utils as expected")
    index.write_text(text.replace('from "@litertjs/wasm-utils"', 'from "./wasm-utils.js"'))
    seadragon = HERE / "node_modules" / "openseadragon"
    shutil.copytree(seadragon / "build" / "openseadragon" / "images", tmp / "openseadragon" / "images")
    shutil.copyfile(
        seadragon / "build" / "openseadragon" / "openseadragon.min.js", tmp / "openseadragon" / "openseadragon.min.js"
    )
    osd_version = json.loads((seadragon / "package.json").read_text())["version"]
    (tmp / "openseadragon" / "NOTICE.txt").write_text(
        f"OpenSeadragon {osd_version} (https://openseadragon.github.io), BSD 3-Clause License.\n"
        + (seadragon / "LICENSE.txt").read_text()
    )
    version = json.loads((pkg / "package.json").read_text())["version"]
    (tmp / "litert" / "NOTICE.txt").write_text(
        f"@litertjs/core {version} (https://www.npmjs.com/package/@litertjs/core), Apache License 2.0,\n"
        "Copyright Google LLC. https://github.com/google-ai-edge/LiteRT\n"
    )
    (tmp / "VERSION.json").write_text(json.dumps({"@litertjs/core": version, "openseadragon": osd_version}) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"built {out} (@litertjs/core {version}, openseadragon {osd_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
