"""`upscale2x web`: Learning to See as a self-contained static site (LiteRT.js), and a localhost server for it.

Each `see` bundle becomes one LiteRT model of the whole frame function (export.see_frame_tflite), so the page
does nothing per pixel in JavaScript: RGBA camera pixels (0..255, straight from a canvas) in, RGBA out. Inside the
graph: the training preprocessing (grayscale, 24x area down, cubic up: the same numbers as preprocess.py), the
generator (int8 weights, like the paper's uint8) and the [0, 255] RGBA output. Why LiteRT.js and not
TensorFlow.js: the `.tflite` path already exists (export.py) and is measured against Keras; TF.js would need its
own converter, which does not follow Keras 3.

The site (index.html, app.js, the LiteRT.js runtime built by web/build.py, models/*.tflite, models.json) is
assembled in a temporary folder beside the target and renamed into place only when complete.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
from pathlib import Path

import numpy as np

from ..errors import ModelError, RenderError
from ..io.atomic import atomic_folder
from ..model.export import FRAME

PAGE = Path(__file__).resolve().parent / "webpage"  # index.html, app.js (committed)


def runtime_dir() -> Path:
    """Where web/build.py put LiteRT.js: ``$UPSCALE2X_WEB_RUNTIME``, ``web/runtime`` beside the package, or the
    wheel's copy inside it."""
    env = os.environ.get("UPSCALE2X_WEB_RUNTIME")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[1]  # the upscale2x package (this module is in upscale2x/live/)
    beside = here.parent / "web" / "runtime"  # a checkout; a wheel carries its copy inside (setup.py)
    return beside if beside.is_dir() or not (here / "web_runtime").is_dir() else here / "web_runtime"


def frame_reference(folder: Path, rgba: np.ndarray) -> np.ndarray:
    """What `upscale2x render --chain MODEL` makes of a 256x256 frame (uint8 RGBA) on Keras: float RGB 0..1."""
    from ..render.stages import open_stage

    stage, _ = open_stage(folder, "keras")
    return stage.run(rgba[..., :3].astype(np.float32) / 255.0)


AUTO = "auto"  # each model's weights as its own shipped LiteRT export has them (card: exports.litert.quantize)


def site_quantize(card, quantize: str) -> str:
    """The weights a model gets on the page: ``quantize``, or for ``auto`` the quantisation its card's LiteRT export
    was measured good at (a GAN generator may be far off in int8: see-flowers 0.29 at worst), else int8."""
    if quantize != AUTO:
        return quantize
    return card.exports.get("litert", {}).get("quantize", "int8")


def export_site(models: list[str], out: str | Path, overwrite: bool = False, quantize: str = AUTO) -> Path:
    """Write the site for the see bundles ``models`` to ``out``; ModelError / RenderError (nothing written) if a
    model is not a see model, ``out`` exists without ``overwrite``, or the runtime is not built."""
    from ..model.bundle import load_bundle, read_card, resolve_bundle
    from ..model.export import QUANTIZE, see_frame_tflite

    out = Path(out)
    if not models:
        raise RenderError("give at least one see model")
    if quantize not in (AUTO, *QUANTIZE):
        raise ModelError(f"--quantize must be one of {', '.join((AUTO, *QUANTIZE))}, got {quantize!r}")
    if out.exists() and not out.is_dir():
        raise RenderError(f"{out}: is a file, not a site folder; give -o a folder name")
    if out.exists() and not overwrite:
        raise RenderError(f"{out}: already exists (use --overwrite to replace it)")
    if not out.parent.is_dir():
        raise RenderError(f"{out}: output folder {out.parent} does not exist")
    runtime = runtime_dir() / "litert"
    if not (runtime / "index.js").is_file():
        raise RenderError(f"{runtime}: the LiteRT.js runtime is not built; run `python web/build.py` (needs npm)")
    folders = [resolve_bundle(m) for m in models]
    names = []
    for m, f in zip(models, folders, strict=True):
        card = read_card(f)
        if card.task != "see":
            raise RenderError(f"{m}: a {card.task} model; the web page runs Learning to See (see) models")
        names.append(f.name)
    if len(set(names)) != len(names):
        raise RenderError("two models with the same name: " + ", ".join(names))
    entries = []
    build = out.parent / f".{out.name}.site.part"  # the finished site, before it takes the target's name
    shutil.rmtree(build, ignore_errors=True)
    try:
        with atomic_folder(build) as tmp:
            shutil.copytree(PAGE, tmp, dirs_exist_ok=True)
            shutil.copytree(runtime, tmp / "vendor" / "litert")
            (tmp / "models").mkdir()
            for name, folder in zip(names, folders, strict=True):
                b = load_bundle(folder)
                weights = site_quantize(b.card, quantize)
                data = see_frame_tflite(b.model, weights)
                (tmp / "models" / f"{name}.tflite").write_bytes(data)
                entries.append(
                    {
                        "name": name,
                        "file": f"models/{name}.tflite",
                        "bytes": len(data),
                        "quantize": weights,
                        "preset": b.card.preset,
                        "description": b.card.description,
                    }
                )
            (tmp / "models.json").write_text(json.dumps({"frame": FRAME, "models": entries}, indent=1) + "\n")
    except OSError as e:  # a full disk (shutil.Error is an OSError too): one line, the half-built site gone
        shutil.rmtree(build, ignore_errors=True)
        raise RenderError(f"{out}: cannot write the site ({getattr(e, 'strerror', None) or e})") from None
    if out.exists():  # --overwrite: swap the finished site in, then drop the old one
        old = out.parent / f".{out.name}.old.part"
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        build.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        build.rename(out)
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files of the server's ``site`` folder, with the types a LiteRT.js page needs."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def __init__(self, request, client_address, server):
        super().__init__(request, client_address, server, directory=server.site)


def bind(port: int):
    """A localhost HTTP server bound to ``port`` (0: any free one), not yet serving; RenderError if the port is
    taken or out of range. Bound before a site is written, so a busy port costs nothing."""
    if not 0 <= port <= 65535:
        raise RenderError(f"--port must be 0..65535, got {port}")
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    except OSError as e:
        raise RenderError(f"cannot serve on port {port} ({e.strerror})") from None


def serve(site: str | Path, port: int = 8000, on_ready=None, server=None) -> None:
    """Serve ``site`` on http://localhost:PORT/ until interrupted (the standard library's server); ``server``: one
    :func:`bind` already made."""
    site = Path(site)
    if not (site / "index.html").is_file():
        if server is not None:
            server.server_close()
        raise RenderError(f"{site}: not an exported site (no index.html); run `upscale2x web MODEL -o {site}`")
    httpd = server or bind(port)
    httpd.site = str(site)
    with httpd:
        if on_ready:
            on_ready(f"http://localhost:{httpd.server_address[1]}/")
        httpd.serve_forever()
