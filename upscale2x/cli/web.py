"""`upscale2x web`: export Learning to See as a static site (LiteRT.js), and serve it on localhost."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import err, handles_errors, plain


@handles_errors
def web(
    models: Annotated[
        list[str] | None, typer.Argument(metavar="[MODEL]...", help="see bundles (names or folders).")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The site folder to write (or to serve).")] = Path(
        "site"
    ),
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the site on localhost afterwards (or, without models, as it is).")
    ] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port for --serve (0: any free port).")] = 8000,
    quantize: Annotated[
        str,
        typer.Option(
            help="Model weights: auto (as each model's own LiteRT export: int8, or float32 where int8 is far from "
            "Keras), int8 (smallest), fp16 or none."
        ),
    ] = "auto",
    overwrite: Annotated[bool, typer.Option(help="Replace an existing site folder.")] = False,
) -> None:
    """Export MODELs as a live Learning-to-See page (webcam in, imagined world out), with --serve to open it."""
    from ..errors import RenderError
    from ..live.web import bind, export_site
    from ..live.web import serve as serve_site

    if not models and not serve:
        raise RenderError("give at least one see model (or --serve to serve an existing site)")
    server = bind(port) if serve else None  # a busy port fails before the site is written, not after
    try:
        if models:
            site = export_site(models, output, overwrite, quantize)
            err.print(f"wrote {plain(site)} ({len(models)} model{'s' if len(models) > 1 else ''})", soft_wrap=True)
        if server is not None:
            on_ready = lambda url: err.print(f"serving {plain(output)} at {url} (Ctrl-C to stop)", soft_wrap=True)  # noqa: E731
            try:
                serve_site(output, port, on_ready=on_ready, server=server)
            except KeyboardInterrupt:
                err.print("stopped serving")
    finally:
        if server is not None:
            server.server_close()
