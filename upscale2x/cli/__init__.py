"""The typer app: one module per command. The only package that prints or exits."""

from __future__ import annotations

import typer

from . import export as _export
from . import info as _info
from . import render as _render
from . import see as _see
from . import series as _series
from . import train as _train
from . import web as _web

app = typer.Typer(
    name="upscale2x",
    help="Up-imagine images to print size with pix2pix GANs: render, train, and make print series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("render")(_render.render)
app.command("train")(_train.train)
app.command("series")(_series.series)
app.command("export")(_export.export)
app.command("see")(_see.see)
app.command("web")(_web.web)
app.command("info")(_info.info)
app.command("models")(_info.models)


def main() -> None:
    """Console-script entry point."""
    app()
