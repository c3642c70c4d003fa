"""The typer app: one module per command. The only package that prints or exits."""

from __future__ import annotations

import typer

from . import export as _export
from . import info as _info
from . import render as _render
from . import see as _see
from . import series as _series
from . import studio as _studio
from . import train as _train
from . import web as _web

app = typer.Typer(
    name="upscale2x",
    help="Up-imagine images to print size with pix2pix GANs: render, train, and make print series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain (click) help: it wraps long flag names instead of cutting them at 80 columns ("--feature-match…")
    rich_markup_mode=None,
)
app.command("render")(_render.render)
app.command("train")(_train.train)
app.command("series")(_series.series)
app.command("export")(_export.export)
app.command("see")(_see.see)
app.command("web")(_web.web)
app.command("studio")(_studio.studio)
app.command("info")(_info.info)
app.command("models")(_info.models)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"upscale2x {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Up-imagine images to print size with pix2pix GANs: render, train, and make print series."""


def _usage_error():
    """The usage-error class of the click that typer runs on (its own copy from typer 0.29, else click)."""
    try:
        from typer._click.exceptions import UsageError
    except ImportError:  # older typer: the click package
        from click.exceptions import UsageError
    return UsageError


REINTERRUPT_S = 0.05  # how long after a dropped interrupt it is raised again (the finaliser is over by then)


def _interrupt_again(default):
    """An unraisable-exception hook that does not lose Ctrl-C or SIGTERM.

    A signal's KeyboardInterrupt raised while Python runs a ``__del__`` or a weakref callback (the garbage
    collector's) is printed and dropped, and the work went on to the end (a CI run: a video finished after its
    SIGTERM). Such an interrupt is raised again in the main thread once that callback is over.
    """
    import threading

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            # From another thread, a moment later: raised inside the hook it would be dropped again.
            threading.Timer(REINTERRUPT_S, _interrupt_main, args=(threading.main_thread().ident,)).start()
        else:
            default(unraisable)

    return hook


def _interrupt_main(main_ident: int) -> None:
    """Raise KeyboardInterrupt in the main thread at its next step.

    Through Python's SIGINT handler where it has one; a process started in the background by a shell (`cmd &`,
    `nohup`) has SIGINT ignored, and there a simulated SIGINT does nothing, so the exception is set on the main
    thread directly.
    """
    import _thread
    import ctypes
    import signal

    if callable(signal.getsignal(signal.SIGINT)):
        _thread.interrupt_main(signal.SIGINT)
    else:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main_ident), ctypes.py_object(KeyboardInterrupt))


def main() -> None:
    """Console-script entry point: usage errors as one `error:` line (exit 2), SIGTERM handled like Ctrl-C."""
    import signal
    import sys

    from .common import fail_line

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)  # timeout, docker stop, scancel: clean up as for Ctrl-C
    sys.unraisablehook = _interrupt_again(sys.unraisablehook)
    usage_error = _usage_error()
    try:
        code = app(standalone_mode=False)
    except usage_error as e:
        if "NoArgsIsHelp" in type(e).__name__:  # bare `upscale2x`: the help, as before
            app(["--help"], standalone_mode=True)
        ctx = getattr(e, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        fail_line(f"{e.format_message()}{hint}")
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
