"""`upscale2x export`: add a LiteRT cell function to a bundle (or to a copy of it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..model.export import MAX_ERROR
from .common import err, handles_errors, plain


@handles_errors
def export(
    bundle: Annotated[str, typer.Argument(metavar="BUNDLE", help="A bundle folder or a shipped model name.")],
    quantize: Annotated[
        str, typer.Option(help="none (float32), fp16 (float16 weights) or int8 (dynamic range: int8 weights).")
    ] = "int8",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write a copy of the bundle here (default: in place).")
    ] = None,
    max_error: Annotated[
        float, typer.Option(help="Refuse (write nothing) if LiteRT is further than this from Keras on the probe set.")
    ] = MAX_ERROR,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing -o folder's files.")] = False,
) -> None:
    """Convert BUNDLE's cell function to LiteRT (.tflite), measure it against Keras and record it in the card."""
    from ..model.bundle import resolve_bundle
    from ..model.export import export_litert  # imports TensorFlow

    folder, rec = export_litert(resolve_bundle(bundle), quantize, output, max_error, overwrite)
    err.print(
        f"wrote {plain(folder / rec['file'])} ({rec['quantize']}, {rec['bytes'] / 1e6:.1f} MB; "
        f"max error {rec['max_error'] * 255:.2f}/255, mean {rec['mean_error'] * 255:.3f}/255 against Keras)",
        soft_wrap=True,
    )
