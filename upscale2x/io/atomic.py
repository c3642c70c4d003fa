"""The one home for atomic writes: a temporary file beside the target, published only when complete.

Images, bundle files, the series manifest and training checkpoints all go through here, so every writer gets
the same three guarantees:
- **Nothing partial.** The data goes to a temporary name in the target's folder; on any error (or Ctrl-C,
  which is an exception too) that file is removed and the target is left as it was.
- **Link-safe temporaries.** The temporary name is unpredictable and created exclusively
  (``tempfile.mkstemp``: ``O_CREAT | O_EXCL``, mode 0600), so a symlink planted in a shared folder is never
  followed; it gets the usual permissions (``0666 & ~umask``) only once it is ours.
- **No silent replacement.** Without ``replace``, the finished file is published with ``os.link`` (which fails
  if the name exists) and the temporary name is then removed: of two writers racing for one name, exactly one
  wins and the other gets :class:`FileExistsError`, even if the name appeared after the writers started.
  With ``replace``, ``os.replace`` swaps the file in atomically.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".part"  # every temporary file and folder ends with this (and starts with a dot)
_UMASK = os.umask(0)
os.umask(_UMASK)
# Filesystems without hard links (FAT, some network mounts) answer os.link with one of these.
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.ENOSYS}


def publish(tmp: Path, path: Path, replace: bool) -> None:
    """Move the finished file ``tmp`` to ``path``; without ``replace``, FileExistsError if ``path`` exists."""
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        # No hard links here: fall back to check-then-rename (the race window is the check's, not the render's).
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextmanager
def atomic_file(path: str | Path, *, replace: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new contents into; published when the ``with`` block ends cleanly.

    Raises FileExistsError at publication if ``path`` exists and ``replace`` is False, and OSError for a folder
    that cannot be written. The temporary file never outlives the block, whatever happens inside it.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, path, replace)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path, *, replace: bool = False) -> Iterator[Path]:
    """A temporary file name beside ``path`` for libraries that write by name (FFmpeg), published like
    :func:`atomic_file` when the block ends cleanly and removed whatever happens."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        os.close(fd)
        yield tmp
        publish(tmp, path, replace)
    finally:
        tmp.unlink(missing_ok=True)


STALE_SECONDS = 600  # a temporary file untouched this long belongs to a killed run (live writers touch theirs often)


def clear_stale(path: str | Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the temporary files of ``path`` (``.NAME.*.part`` beside it) that nobody wrote to for
    ``older_than`` seconds: the leftovers of SIGKILLed runs. Returns what was removed."""
    import time

    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*{TEMP_SUFFIX}"))
    except OSError:
        return removed
    for p in candidates:
        try:
            if p.is_file() and not p.is_symlink() and time.time() - p.stat().st_mtime > older_than:
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped (a file may be called ``holiday [final].png``)."""
    import glob

    return glob.escape(name)


def write_bytes(path: str | Path, data: bytes, *, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (replacing it by default: cards, manifests, pointers)."""
    with atomic_file(path, replace=replace) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | Path, text: str, *, replace: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes`)."""
    return write_bytes(path, text.encode("utf-8"), replace=replace)


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A fresh temporary folder that becomes ``path`` when the block ends cleanly (``path`` must not exist).

    For multi-file artefacts such as a training checkpoint: a reader sees the whole folder or none of it.
    """
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def private_folder(parent: str | Path) -> Iterator[Path]:
    """A fresh folder of our own (mode 0700, unpredictable name) in ``parent``, removed with all it holds afterwards.

    For libraries that write by path (Keras): they write in here, then :func:`publish` moves the files out.
    """
    tmp = Path(tempfile.mkdtemp(prefix=".tmp.", suffix=TEMP_SUFFIX, dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
