"""`upscale2x series`: candidates and contact sheets of a print series, then full-size renders of the picks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SeriesError
from .common import err, handles_errors, plain, progress_bar, warn

MAX_PICKS = 100_000  # more ids than any series has: a typo such as 0-1000000000, refused before building it


def _ids(text: str) -> list[int]:
    """'3,17,40-42' -> [3, 17, 40, 41, 42]; an empty or reversed range, or a huge one, is a usage error."""
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise typer.BadParameter(f"expected ids like 3,17,40-42, got {part!r}", param_hint="--pick")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo:
            raise typer.BadParameter(f"{part} is an empty range (write {hi}-{lo})", param_hint="--pick")
        if hi - lo + len(ids) >= MAX_PICKS:
            raise typer.BadParameter(f"{part} picks more than {MAX_PICKS:,} candidates", param_hint="--pick")
        ids += list(range(lo, hi + 1))
    if not ids:
        raise typer.BadParameter("no ids given", param_hint="--pick")
    return ids


def _remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` and the folders inside it when none holds a file."""
    if folder.is_dir() and not any(p.is_file() or p.is_symlink() for p in folder.rglob("*")):
        for p in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            p.rmdir()
        folder.rmdir()


def _shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m:
        raise typer.BadParameter(f"expected K/N like 1/4, got {text!r}", param_hint="--shard")
    return int(m[1]), int(m[2])


@handles_errors
def series(
    spec: Annotated[Path, typer.Argument(help="Series spec (TOML); see README and examples/series.toml.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default: the spec's name beside the spec).")] = None,
    pick: Annotated[
        str | None,
        typer.Option(
            help="Render these candidates at print size: 3,17,40-42 (added to the saved picks), or 'saved': the "
            "picks saved by earlier --pick runs and `upscale2x studio`."
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Override [series] model.")] = None,
    upscaler: Annotated[str | None, typer.Option(help="Override [series] upscaler.")] = None,
    candidates: Annotated[int | None, typer.Option(help="Override [series] candidates per source.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override [series] seed.")] = None,
    print_size: Annotated[str | None, typer.Option(help="Override [print] size, e.g. 50x50cm or 8x10in.")] = None,
    dpi: Annotated[int | None, typer.Option(help="Override [print] dpi.")] = None,
    more: Annotated[
        bool, typer.Option("--more", help="Generate more: one more round of candidates per source (ids continue).")
    ] = False,
    shard: Annotated[str, typer.Option(help="Do part K of N of the work (job arrays): 1/4, 2/4, ...")] = "1/1",
    engine: Annotated[str, typer.Option(help="keras, litert, or auto (LiteRT where a bundle has an export).")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Batch-generate a print series: seeded candidates, contact sheets + manifest, then full renders of picks."""
    from dataclasses import replace

    from ..series.picks import FILE as PICKS_FILE
    from ..series.picks import add_picks, load_picks
    from ..series.run import Series
    from ..series.spec import check, load_spec

    s = load_spec(spec, model=model, upscaler=upscaler, candidates=candidates, seed=seed)
    if print_size or dpi:
        s = replace(s, print=replace(s.print, size=print_size or s.print.size, dpi=dpi or s.print.dpi))
        flags = " / ".join(f for f, v in (("--print-size", print_size), ("--dpi", dpi)) if v)
        check(s, flags)  # an error here is about the flags, not the spec file
    if more and pick is not None:
        raise SeriesError("--more makes candidates and --pick renders prints: one at a time")
    saved = pick is not None and pick.strip() == "saved"
    picks = _ids(pick) if pick is not None and not saved else None  # usage errors before any folder is made
    run = Series(s, out or spec.resolve().parent / s.name, _shard(shard), engine, spec_file=spec)
    if saved:
        picks = load_picks(run.out)
        if not picks:
            raise SeriesError(f"{run.out / PICKS_FILE}: no saved picks (pick some with --pick IDS or in the studio)")
    if run.out.exists() and not run.out.is_dir():
        raise SeriesError(f"{run.out}: is a file; --out needs a folder")
    made = not run.out.exists()
    try:
        run.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SeriesError(f"{run.out}: cannot create the output folder ({e.strerror or e})") from None
    try:
        with progress_bar(quiet, "picks" if pick else "candidates") as update:

            def report(done: int, total: int, note: str = "") -> None:
                update(done, total, note=note)

            if more:
                run.add_round()
            if picks:
                result = run.render_picks(picks, report)
                if not saved:
                    add_picks(run.out, picks, len(run.candidates))  # the page and the command line share them
            else:
                result = run.render_candidates(report)
    except BaseException:
        if made:
            _remove_if_empty(run.out)  # a failed start (a missing model, an upscaler that is not 8x) leaves no folder
        raise
    for note in run.notes:
        warn(note)
    if not quiet:
        err.print(f"{len(result.rendered)} rendered, {result.skipped} already there, in {plain(run.out)}")
    if result.failures:
        for line in result.failures:
            err.print(f"[bold red]error:[/] {plain(line)}", soft_wrap=True)
        raise SeriesError(f"{len(result.failures)} source(s) failed; the rest of the series was rendered")
