"""`upscale2x render`: one image through one or more models, tiled, to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..fieldcheck import defaults
from ..render.files import MAX_SCALE, RenderOptions, render_file
from .common import err, handles_errors, plain, progress_bar, warn

R = defaults(RenderOptions)  # the option defaults are the library's: written once, in render.py


@handles_errors
def render(
    src: Annotated[
        list[Path],
        typer.Argument(
            metavar="IN...",
            help="Input image(s) (PNG, JPEG, TIFF, WebP, BMP), or folders of them: several are one batch, the "
            "models loaded once, existing outputs skipped, failures reported at the end.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output file, or the folder of a batch (default: IN_x8.png beside IN)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="sr8x bundle: a shipped name or a folder (default: the shipped sr8x).")
    ] = R["model"],
    scale: Annotated[
        int | None,
        typer.Option(
            help=f"Total scale, 2..{MAX_SCALE}. 8 = one 8x stage, 64 = two chained; any other scale runs the next "
            "power of 8 and finishes with a high-quality area downscale. Default 8 (or the chain's own scale)."
        ),
    ] = R["scale"],
    tiles: Annotated[
        bool, typer.Option("--tiles/--no-tiles", help="Tile into overlapping cells (default) or run whole images.")
    ] = R["tiles"],
    overlap: Annotated[
        float | None,
        typer.Option(
            help="Input pixels shared by neighbouring cells, or a fraction of each stage's cell below 1 (0.25 fits "
            "every stage of a mixed chain). Default: a quarter cell (8 px for sr8x, 64 for see)."
        ),
    ] = R["overlap"],
    batch: Annotated[int, typer.Option(min=1, help="Cells per model call.")] = R["batch"],
    chain: Annotated[
        str | None, typer.Option(help="Comma-separated bundles run in order, e.g. see-flowers,sr8x,sr8x.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="png, tiff or jpg (default: from -o, else png).")] = R[
        "fmt"
    ],
    bits: Annotated[int | None, typer.Option(help="8 or 16 bits per sample (default: as the input).")] = R["bits"],
    dpi: Annotated[float | None, typer.Option(help="DPI written into the file (default: as the input).")] = R["dpi"],
    quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG quality.")] = R["quality"],
    seed: Annotated[int | None, typer.Option(help="Keep dropout on as a noise source with this seed (a variant).")] = R[
        "seed"
    ],
    engine: Annotated[
        str,
        typer.Option(
            help="keras, litert, or auto: LiteRT for bundles exported with `upscale2x export` (no TensorFlow "
            "import when every stage has one), Keras otherwise."
        ),
    ] = R["engine"],
    ensemble: Annotated[
        int,
        typer.Option(
            help="Self-ensemble: run each cell 1, 2, 4 or 8 times flipped/turned and average (that many times the "
            "model time; sr8x: +0.92 dB over bicubic plain, +0.97 at 2, +1.01 at 8; smooths a GAN's texture)."
        ),
    ] = R["ensemble"],
    max_pixels: Annotated[int, typer.Option(help="Refuse inputs with more pixels than this.")] = R["max_pixels"],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = R["overwrite"],
) -> None:
    """Up-imagine IN: tile it, run the cells through the model(s), blend with feathered weights, write the result."""
    given = locals()  # every option by name: those that are RenderOptions fields go in as they are
    chain_names = tuple(n.strip() for n in chain.split(",") if n.strip()) if chain else ()
    opts = RenderOptions(chain=chain_names, **{k: given[k] for k in R if k in given and k != "chain"})
    show_chain = None if quiet else lambda c: err.print(f"models: {plain(c.describe())}", soft_wrap=True)
    if len(src) == 1 and not src[0].is_dir():
        with progress_bar(quiet, "render") as update:
            out = render_file(
                src[0],
                output,
                opts,
                lambda done, total: update(done, total, note="cells"),
                on_note=warn,
                on_chain=show_chain,
            )
        if not quiet:
            err.print(f"wrote {plain(out)}")
        return
    from ..errors import RenderError
    from ..render.files import render_batch

    with progress_bar(quiet, "render") as update:
        where = {"file": ""}

        def on_file(i: int, n: int, path: Path) -> None:
            where["file"] = f"file {i + 1}/{n} {plain(path.name)}"
            update(0, 1, description=where["file"])

        result = render_batch(
            src,
            output,
            opts,
            on_file=on_file,
            on_progress=lambda done, total: update(done, total, note="cells"),
            on_note=warn,
            on_chain=show_chain,
        )
    if not quiet:
        err.print(
            f"{len(result.written)} written, {len(result.skipped)} already there"
            + (f", {len(result.failures)} failed" if result.failures else "")
        )
    for line in result.failures:
        err.print(f"[bold red]error:[/] {plain(line)}", soft_wrap=True)
    if result.failures:
        total = len(result.failures) + len(result.written) + len(result.skipped)
        raise RenderError(f"{len(result.failures)} of {total} inputs failed")
