"""`upscale2x studio`: pick and print a series from the browser (a local web app on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SeriesError
from .common import err, handles_errors, plain, warn


def _spec_of(target: Path) -> tuple[Path, Path | None]:
    """(spec file, output folder or None for the spec's default) of a spec or of a series folder's manifest."""
    if target.is_dir():
        manifest = target / "manifest.json"
        try:
            spec = json.loads(manifest.read_text())["spec"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SeriesError(
                f"{target}: no manifest naming its spec; give the spec file (run `upscale2x series SPEC` first)"
            ) from None
        return Path(spec), target
    return target, None


@handles_errors
def studio(
    target: Annotated[
        Path, typer.Argument(help="Series spec (TOML), or a series' output folder (its manifest names the spec).")
    ],
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the spec's name beside the spec).")] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on the host.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = "127.0.0.1",
    browser: Annotated[bool, typer.Option(help="Open the page in the default browser.")] = True,
    engine: Annotated[str, typer.Option(help="keras, litert, or auto (LiteRT where a bundle has an export).")] = "auto",
) -> None:
    """Pick candidates and render prints from the browser; picks are the series' own (`series --pick saved`)."""
    import socket

    from ..live.web import runtime_dir
    from ..series.run import Series
    from ..series.spec import load_spec

    spec_file, folder = _spec_of(target)
    spec = load_spec(spec_file)
    series = Series(spec, out or folder or spec_file.resolve().parent / spec.name, engine=engine, spec_file=spec_file)
    if not series.out.is_dir():
        raise SeriesError(f"{series.out}: no series there yet; run `upscale2x series {spec_file}` first")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        raise SeriesError(f"{host}:{port}: cannot listen ({e.strerror}); try another --port") from None
    import uvicorn

    from ..studio.server import create_app

    vendor = runtime_dir()
    if not (vendor / "openseadragon").is_dir():
        warn("the print viewer's runtime is not built: run `python web/build.py` (needs npm)")
    app = create_app(series, vendor)
    url = f"http://{'localhost' if host == '127.0.0.1' else host}:{port}/"
    if host != "127.0.0.1":
        warn(f"serving on {host}: other machines on the network can open the studio")
    err.print(f"studio of {plain(series.out)} at {url} (Ctrl-C to stop)", soft_wrap=True)
    if browser:
        import webbrowser

        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    server.run(sockets=[sock])
