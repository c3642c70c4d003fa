"""`upscale2x info` and `upscale2x models`: what a bundle or preset is."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..model.bundle import WEIGHTS, list_bundles, models_dir, read_card, resolve_bundle
from ..model.nets import PRESETS, UPSAMPLERS
from .common import fail, handles_errors, out, plain, warn


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "missing"


@handles_errors
def info(
    model: Annotated[str | None, typer.Argument(help="A bundle folder or the name of a shipped model.")] = None,
    preset: Annotated[str | None, typer.Option(help=f"Describe a preset instead: {', '.join(PRESETS)}.")] = None,
    in_channels: Annotated[int, typer.Option(min=1, max=4, help="Generator input channels (with --preset).")] = 1,
    out_channels: Annotated[int, typer.Option(min=1, max=4, help="Generator output channels (with --preset).")] = 3,
    upsample: Annotated[
        str, typer.Option(help=f"Decoder upsampling (with --preset): {', '.join(UPSAMPLERS)}.")
    ] = "transpose",
    res_blocks: Annotated[
        int, typer.Option(min=0, max=64, help="Residual blocks at 1/8 of the cell (with --preset).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the bundle's card alone, as JSON (for jq).")] = False,
) -> None:
    """Print a bundle's card, parameter count and file size, or a preset's architecture."""
    if (model is None) == (preset is None):
        raise fail("give a MODEL or --preset NAME (one of them)")
    if preset is not None:
        if preset not in PRESETS:
            expected = ", ".join(PRESETS)
            raise typer.BadParameter(f"unknown preset {preset!r}; expected one of {expected}", param_hint="--preset")
        if upsample not in UPSAMPLERS:
            raise fail(f"--upsample: expected one of {', '.join(UPSAMPLERS)}, got {upsample!r}")
        from ..model.nets import unet_generator

        net = unet_generator(
            preset, in_channels=in_channels, out_channels=out_channels, upsample=upsample, res_blocks=res_blocks
        )
        net.summary(print_fn=lambda line, *a, **k: out.print(line, markup=False, soft_wrap=True), line_length=100)
        p = PRESETS[preset]
        blocks = f", {res_blocks} residual blocks" if res_blocks else ""
        out.print(f"preset: {preset} (base width {p.base_width}, cap {p.max_width}, upsample {upsample}{blocks})")
        out.print(f"parameters: {net.count_params():,}")
        return
    folder = resolve_bundle(model)
    card = read_card(folder)
    if as_json:  # plain stdout: Rich would wrap long strings and break the JSON
        sys.stdout.write(json.dumps(card.to_json(), indent=2) + "\n")
        return
    out.print(plain(json.dumps(card.to_json(), indent=2)), soft_wrap=True)
    out.print(f"parameters: {card.parameters:,}")
    out.print(f"file: {plain(folder / WEIGHTS)} ({_mb(folder / WEIGHTS)})")


@handles_errors
def models() -> None:
    """List the model bundles shipped in models/ (or $UPSCALE2X_MODELS)."""
    found = list_bundles(on_skip=warn)
    if not found:
        out.print(f"no bundles in {plain(models_dir())}")
        return
    for name, card in found:
        s = card.spec
        default = " (default)" if name == card.task else ""
        line = (
            f"{name}{default}: task {card.task}, x{s.scale}, {s.in_cell}->{s.out_cell} px cells, "
            f"{card.preset or 'w' + str(card.base_width)}, {card.parameters:,} parameters, "
            f"{_mb(models_dir() / name / WEIGHTS)} — {card.description}"
        )
        out.print(plain(line), soft_wrap=True)
