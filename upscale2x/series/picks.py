"""A series' picks: the candidate ids chosen for print, saved beside the manifest (``picks.json``).

One home for them: `upscale2x series SPEC --pick 3,9-11` adds its ids, `--pick saved` renders the saved ones, and
the studio page reads and writes the same file, so the command line and the page always agree.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SeriesError
from ..io.atomic import write_text

FILE = "picks.json"


def load_picks(out: Path) -> list[int]:
    """The saved picks of the series in ``out`` (sorted ids; [] when none were saved)."""
    path = Path(out) / FILE
    if not path.is_file():
        return []
    try:
        ids = json.loads(path.read_text())["picks"]
        if not all(isinstance(i, int) and i >= 0 for i in ids):
            raise ValueError("ids must be whole numbers >= 0")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SeriesError(f"{path}: not a picks file ({e})") from None
    return sorted(set(ids))


def save_picks(out: Path, ids: list[int], known: int) -> list[int]:
    """Save ``ids`` as the picks (atomically); SeriesError for an id not among the ``known`` candidates 0..known-1."""
    ids = sorted(set(ids))
    bad = [i for i in ids if not 0 <= i < known]
    if bad:
        raise SeriesError(f"no candidate {bad[0]} (ids are 0..{known - 1})")
    path = Path(out) / FILE
    try:
        write_text(path, json.dumps({"picks": ids}) + "\n")
    except OSError as e:
        raise SeriesError(f"{path}: cannot save the picks ({e.strerror or e})") from None
    return ids


def add_picks(out: Path, ids: list[int], known: int) -> list[int]:
    """Add ``ids`` to the saved picks; returns them all."""
    return save_picks(out, load_picks(out) + list(ids), known)
