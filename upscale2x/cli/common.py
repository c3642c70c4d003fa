"""What every command shares: the stderr console, error handling, and progress bars."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..errors import Upscale2xError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0/C1 controls except tab and newline
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def plain(text: object) -> str:
    """``text`` safe to print: Rich markup escaped (a path like ``holiday [final].png`` stays as it is) and
    terminal control characters (escape sequences from a crafted card or file name) removed."""
    return escape(_CONTROL.sub("", str(text)))


def fail_line(message: str) -> None:
    """Print one ``error:`` line on stderr."""
    err.print(f"[bold red]error:[/] {plain(message)}", soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    fail_line(message)
    return typer.Exit(1)


def warn(message: str) -> None:
    """One ``warning:`` line on stderr (the run goes on)."""
    err.print(f"[bold yellow]warning:[/] {plain(message)}", soft_wrap=True)


def handles_errors(fn: Callable) -> Callable:
    """Turn the library's typed errors into one stderr line and exit code 1; Ctrl-C into exit 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Upscale2xError as e:
            raise fail(str(e)) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing partial was written")
            raise typer.Exit(130) from None

    return wrapper


@contextmanager
def progress_bar(quiet: bool, description: str, fields: tuple[str, ...] = ("note",)):
    """The one rich progress bar (stderr), or nothing when ``quiet``.

    Yields ``update(done, total, description=None, **values)``: ``values`` fill the text ``fields`` shown after
    the bar (render and series: a note; train: losses and speed), ``description`` replaces the label.
    """
    if quiet:
        yield lambda done, total, description=None, **values: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        *(TextColumn(f"{{task.fields[{f}]}}") for f in fields),
    )
    bar = Progress(*columns, console=err, transient=False)
    task, label = None, description  # `update` takes its own description: the bar's first label is kept here

    def update(done: int, total: int, description: str | None = None, **values: str) -> None:
        nonlocal task
        if task is None:  # drawn when work starts: a run that fails in its checks shows no empty bar
            bar.start()
            task = bar.add_task(description or label, total=None, **dict.fromkeys(fields, ""))
        named = {"description": description} if description else {}
        bar.update(task, completed=done, total=total, **named, **values)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()
