"""The studio's work queue: picks rendered at print size one at a time, and more candidates, with progress, by the
series' own code.

A job is (candidate id, print size, dpi, format); asking again for one queued, running or finished does nothing
(two clicks on "render" render once). Each job runs ``Series.render_picks`` (the path of `upscale2x series
--pick`) on the series with the job's print settings; its progress callback reports cells done and raises
:class:`Cancelled` once the queue is closing, so a render stopped by Ctrl-C unwinds through the image writer,
which removes its temporary file: no partial print is left.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field, replace

from ..errors import SeriesError, Upscale2xError
from ..series.run import Series
from ..series.spec import check, print_pixels


class Cancelled(Exception):
    """Raised inside a render's progress callback when the queue closes."""


@dataclass
class Job:
    id: int  # candidate id (-1 for a round of more candidates)
    size: str  # print size, as in a spec ("A3", "30x30cm")
    dpi: int
    format: str  # tiff or png
    state: str = "queued"  # queued, running, done, failed
    done: int = 0  # cells done of the current stage
    total: int = 0
    started: float = 0.0
    seconds_left: float | None = None
    file: str = ""  # the print's file name, once done
    error: str = ""
    kind: str = "print"  # print, or candidates (one more round of them)

    @property
    def key(self) -> tuple:
        return (self.id, self.size, self.dpi, self.format)


@dataclass
class PrintQueue:
    """Renders print jobs of ``series`` on one worker thread."""

    series: Series
    jobs: list[Job] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._work, name="studio-prints", daemon=True)
        self._thread.start()

    def settings(self, size: str | None, dpi: int | None, fmt: str | None):
        """The series with a job's print settings (the spec's where not given); SeriesError for bad values."""
        p = self.series.spec.print
        given = {"size": size, "dpi": dpi, "format": fmt}
        spec = replace(self.series.spec, print=replace(p, **{k: v for k, v in given.items() if v is not None}))
        check(spec, "print")
        return spec

    def submit(self, cid: int, size: str | None = None, dpi: int | None = None, fmt: str | None = None) -> Job:
        """Queue candidate ``cid`` at a print size; the job already there if one has the same settings."""
        spec = self.settings(size, dpi, fmt)
        known = len(self.series.candidates)
        if not 0 <= cid < known:
            raise SeriesError(f"no candidate {cid} (ids are 0..{known - 1})")
        job = Job(cid, spec.print.size, spec.print.dpi, spec.print.format)
        with self._lock:
            for j in self.jobs:
                if j.key == job.key and j.state != "failed":
                    return j
            self.jobs.append(job)
        self._queue.put(job)
        return job

    def more(self) -> Job:
        """Queue one more round of candidates (series.add_round); the one already queued or running if any."""
        with self._lock:
            for j in self.jobs:
                if j.kind == "candidates" and j.state in ("queued", "running"):
                    return j
            job = Job(-1, "", 0, "", kind="candidates")
            self.jobs.append(job)
        self._queue.put(job)
        return job

    def close(self, timeout: float = 30.0) -> None:
        """Stop: the running render unwinds (its temporary file removed), queued ones are dropped."""
        self._closing.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._closing.is_set():
                return
            self._run(job)

    def _progress(self, job: Job):
        def progress(done: int, total: int, note: str = "") -> None:
            if self._closing.is_set():
                raise Cancelled
            if job.kind == "candidates" or "cells" in note:
                job.done, job.total = done, total
                elapsed = time.monotonic() - job.started
                job.seconds_left = elapsed / done * (total - done) if done else None

        return progress

    def _run(self, job: Job) -> None:
        job.state, job.started = "running", time.monotonic()
        try:
            result = self._more(job) if job.kind == "candidates" else self._print(job)
            job.state, job.error = ("failed", result.failures[0]) if result.failures else ("done", "")
        except Cancelled:
            job.state, job.error = "failed", "stopped"
        except Upscale2xError as e:
            job.state, job.error = "failed", str(e)

    def _more(self, job: Job):
        new = self.series.add_round()
        job.file = f"{len(new)} candidates"
        return self.series.render_candidates(self._progress(job))

    def _print(self, job: Job):
        spec = self.settings(job.size, job.dpi, job.format)
        run = self.series.reprinted(spec)  # the models are loaded once for the page's whole life
        job.file = run.pick_path(job.id, print_pixels(spec.print.size, spec.print.dpi)).name
        return run.render_picks([job.id], self._progress(job))
