"""Training on several machines: the cluster TF_CONFIG describes, the rendezvous, and what ends a worker cleanly.

TensorFlow's MultiWorkerMirroredStrategy waits for its peers inside C++ while holding Python's GIL: no signal
handler and no other Python thread runs until every peer has come, so a worker whose peer never came waited
forever and ignored SIGTERM. :func:`await_peers` therefore meets the peers first, in Python: each worker listens
on its own TF_CONFIG port until it can reach every other's, then hands the port to TensorFlow. Waiting there
is interruptible and ends after the peer timeout with the missing workers named.

Once the strategy exists, TensorFlow's coordination service installs its own SIGTERM handler (it notes a
preemption for a checkpoint handler we do not use), so SIGTERM mid-run was ignored too. :class:`SignalKeeper`
puts the process's own handlers back whenever that happens, and ends the process itself if the main thread has
not unwound a few seconds after SIGTERM or SIGINT (stuck in a collective whose peer is gone).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import TrainError

POLL_S = 0.2  # how often the watchdog puts back the signal handlers TensorFlow replaced
SEEN_S = 0.5  # how long an error leaving the run waits for the signal thread to say whether a signal came
GRACE_S = 5.0  # after SIGTERM/SIGINT, how long the main thread has to unwind before the process ends anyway
EXIT_INTERRUPTED = 130  # the CLI ends on 130 after Ctrl-C and SIGTERM alike (cli.main): so does the watchdog


@dataclass(frozen=True)
class Cluster:
    """This worker's place in the cluster TF_CONFIG describes."""

    workers: tuple[str, ...]  # host:port of every worker (the chief first, where one is named)
    index: int  # this worker's index in ``workers``

    @property
    def chief(self) -> bool:
        return self.index == 0

    def named(self, indexes) -> str:
        """``worker 1 (host:port), ...`` for these worker indexes."""
        return ", ".join(f"worker {i} ({self.workers[i]})" for i in indexes)

    @property
    def peers(self) -> dict[int, str]:
        """The other workers by index."""
        return {i: a for i, a in enumerate(self.workers) if i != self.index}


def cluster_from_env(environ=os.environ) -> Cluster:
    """The cluster in ``TF_CONFIG``; :class:`TrainError` naming what is missing or malformed."""
    text = environ.get("TF_CONFIG")
    if not text:
        raise TrainError("--distribute multiworker needs TF_CONFIG describing the cluster and this worker")
    try:
        cfg = json.loads(text)
        jobs, task = cfg["cluster"], cfg["task"]
        chief, workers = list(jobs.get("chief", [])), list(jobs.get("worker", []))
        kind, index = task["type"], int(task["index"])
        pool = chief if kind == "chief" else workers
        if kind not in ("chief", "worker") or len(chief) > 1 or not 0 <= index < len(pool):
            raise ValueError(f"task {kind} {index} is not in the cluster")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise TrainError(f"TF_CONFIG: expected {{'cluster': {{'worker': [...]}}, 'task': {{...}}}} ({e})") from None
    everyone = tuple(chief + workers)
    if len(everyone) < 1 or not all(isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in everyone):
        raise TrainError(f"TF_CONFIG: every worker must be host:port, got {everyone}")
    return Cluster(everyone, index if kind == "chief" else len(chief) + index)


def unreachable(addresses: dict[int, str], timeout: float = 1.0) -> list[int]:
    """Indexes of the workers whose host:port does not accept a connection."""
    gone = []
    for i, address in addresses.items():
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                pass
        except OSError:
            gone.append(i)
    return gone


def lost_peer(error: Exception, cluster: Cluster) -> str:
    """Which peer a TensorFlow collective error names ("worker 1"), or "a peer worker"."""
    named = {int(m) for m in re.findall(r"/job:(?:worker|chief)/replica:\d+/task:(\d+)", str(error))}
    named.discard(cluster.index)
    gone = sorted(named) or unreachable(cluster.peers)
    return cluster.named(gone) if gone else "a peer worker"


def await_peers(cluster: Cluster, timeout: float, poll: float = 0.25) -> None:
    """Return once every peer's TF_CONFIG port accepts a connection; listen on our own meanwhile.

    Raises TrainError when our port is taken, or naming the workers that did not come within ``timeout`` s.
    """
    if not cluster.peers:
        return
    port = cluster.workers[cluster.index].rpartition(":")[2]
    try:
        listener = socket.create_server(("", int(port)), backlog=64)  # all interfaces, as TF binds it
    except OSError as e:
        raise TrainError(f"TF_CONFIG: cannot listen on this worker's port {port} ({e.strerror})") from None
    listener.setblocking(False)
    deadline = time.monotonic() + timeout
    try:
        while True:
            _drain(listener)
            gone = unreachable(cluster.peers, timeout=poll)
            if not gone:
                return
            if time.monotonic() > deadline:
                raise TrainError(
                    f"{cluster.named(gone)} did not come within --peer-timeout {timeout:g} s; nothing was trained"
                )
            time.sleep(poll)
    finally:
        _drain(listener)
        listener.close()  # TensorFlow's server binds the port next


def _drain(listener: socket.socket) -> None:
    """Accept and close the peers' probes, so the backlog never fills."""
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.close()


class SignalKeeper:
    """SIGTERM and SIGINT keep their meaning while a multiworker run lives (see the module's docstring).

    ``tidy()`` runs before the process is ended from here; ``say(None)`` reports that it was interrupted (the
    CLI prints its usual line).
    """

    def __init__(self, tidy: Callable[[], None], say: Callable[[str | None], None]):
        self.tidy, self.say = tidy, say
        self._done, self._signalled = threading.Event(), threading.Event()

    def __enter__(self) -> SignalKeeper:
        # Whichever thread the kernel hands a signal to, Python's C-level handler writes its number to the
        # wakeup fd; our thread hears it there while the main thread may be stuck in TensorFlow.
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._actions = {s: _sigaction(s) for s in (signal.SIGTERM, signal.SIGINT)}
        threading.Thread(target=self._on_signal, name="upscale2x-signals", daemon=True).start()
        if all(self._actions.values()):
            threading.Thread(target=self._keep_handlers, name="upscale2x-handlers", daemon=True).start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._done.set()
        # A signal can land while TensorFlow builds the error of a collective whose peer just went: pybind11 then
        # replaces our KeyboardInterrupt with a RuntimeError. After SIGTERM/SIGINT, any error is the interruption.
        interrupted = exc is not None and not isinstance(exc, KeyboardInterrupt) and self._signalled.wait(SEEN_S)
        signal.set_wakeup_fd(self._old_fd)
        self._write.close()  # the signal thread's recv returns b"": it ends
        self._read.close()
        if interrupted:
            raise KeyboardInterrupt from exc

    def _keep_handlers(self) -> None:
        while not self._done.wait(POLL_S):
            for signum, action in self._actions.items():
                if _handler_of(_sigaction(signum)) != _handler_of(action):
                    _sigaction(signum, action)

    def _on_signal(self) -> None:
        try:
            got = self._read.recv(1)
        except OSError:
            return
        if got:
            self._signalled.set()
        # The main thread unwinds as after Ctrl-C where it runs Python; one stuck in TensorFlow is ended here.
        if got and not self._done.wait(GRACE_S):
            try:
                self.tidy()
                self.say(None)
            finally:
                os._exit(EXIT_INTERRUPTED)


_SIGACTION_BYTES = 512  # more than any libc's struct sigaction: it is copied whole, never read field by field


def _handler_of(action: bytes | None) -> bytes | None:
    """The handler address a struct sigaction starts with (libc leaves the rest of a read one unset in parts)."""
    return action[: ctypes.sizeof(ctypes.c_void_p)] if action else None


def _sigaction(signum: int, action: bytes | None = None) -> bytes | None:
    """The process's C-level action for ``signum`` as opaque bytes, after installing ``action`` if given; None
    where libc has no sigaction (Windows). Python's ``signal.signal`` only works on the main thread, which
    TensorFlow may hold: this puts the Python handler back from any thread."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        sigaction = libc.sigaction
    except (OSError, AttributeError, TypeError):
        return None
    old = ctypes.create_string_buffer(_SIGACTION_BYTES)
    new = ctypes.create_string_buffer(action, _SIGACTION_BYTES) if action is not None else None
    if sigaction(int(signum), new, old) != 0:
        return None
    return old.raw
