"""One trainer per run folder.

Two processes training the same ``--out`` (a ``--resume`` typed while the first run still goes on in the
background) would interleave their checkpoints: each would resume from whichever the other wrote last. The
trainer holds an exclusive ``flock`` on ``RUN/.train.lock`` while it trains and removes the file when it ends;
the operating system drops the lock when the process ends, however it ends, so a killed run's leftover file
locks nothing. ``--export`` only reads checkpoints and takes no lock. Where ``fcntl`` is missing (Windows) runs
are not locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import TrainError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".train.lock"


def _acquire(path: Path) -> int:
    """An open descriptor of ``path`` holding its exclusive lock; TrainError naming the holder if another has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise TrainError(
                f"{path.parent}: another process{who} is training this run; wait for it to end or stop it first"
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:  # still the lock file: its last holder did not remove it between our open and our lock
            return fd
        os.close(fd)  # it did: lock the new one


@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the run folder ``out`` (which exists) for this process; TrainError if another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = out / LOCK_NAME
    fd = _acquire(path)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        try:
            os.unlink(path)  # before the lock goes: a newcomer that opened it sees it gone and takes a new one
        except FileNotFoundError:  # a failed start removed its folder
            pass
        os.close(fd)
