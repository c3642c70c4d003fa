"""Atomic, resumable checkpoints: each one a complete folder, published by rewriting a small pointer file.

A checkpoint is written into a temporary folder, renamed into place, and only then named in ``latest.json``
(itself replaced atomically). A run killed at any moment (SIGKILL included) leaves the previous checkpoint
intact and pointed to; it loses at most the work since then.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..errors import TrainError
from ..io.atomic import TEMP_SUFFIX, atomic_folder, write_text
from ..model._tf import tf

POINTER = "latest.json"
KEEP = 2  # checkpoints kept on disk


class CheckpointStore:
    """Save and restore a ``tf.train.Checkpoint`` plus a small JSON of counters under ``folder``."""

    def __init__(self, folder: Path, checkpoint: tf.train.Checkpoint) -> None:
        self.folder, self.checkpoint = Path(folder), checkpoint
        self.folder.mkdir(parents=True, exist_ok=True)

    def latest(self) -> dict[str, Any] | None:
        """The pointer's contents, or None when nothing was saved yet."""
        p = self.folder / POINTER
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise TrainError(f"{p}: corrupt checkpoint pointer ({e})") from None

    def save(self, counters: dict[str, Any]) -> Path:
        """Write a new checkpoint with ``counters`` (epoch, step, ...) and make it the latest."""
        n = (self.latest() or {}).get("number", 0) + 1
        name = f"ckpt-{n:06d}"
        final = self.folder / name
        # A run killed between publishing a checkpoint and naming it leaves that folder unnamed, and one killed
        # while writing leaves a temporary folder: neither is anybody's data (one run owns this folder).
        shutil.rmtree(final, ignore_errors=True)
        for stale in self.folder.glob(f".ckpt-*{TEMP_SUFFIX}"):
            shutil.rmtree(stale, ignore_errors=True)
        with atomic_folder(final) as tmp:
            self.checkpoint.write(str(tmp / "state"))
        write_text(self.folder / POINTER, json.dumps({**counters, "number": n, "name": name}, indent=2))
        for old in sorted(self.folder.glob("ckpt-*"))[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def restore(self) -> dict[str, Any]:
        """Load the latest checkpoint into the tracked objects; returns its counters."""
        ptr = self.latest()
        if ptr is None:
            raise TrainError(f"{self.folder}: no checkpoint to resume from")
        path = self.folder / ptr["name"] / "state"
        try:
            self.checkpoint.read(str(path)).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError) as e:
            raise TrainError(f"{path}: cannot restore checkpoint ({str(e).splitlines()[0][:200]})") from None
        return ptr
