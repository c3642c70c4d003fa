"""`--distribute multiworker` with two real worker processes on loopback ports, and its faults (train/cluster.py).

Each test starts `upscale2x train` twice with a TF_CONFIG naming both workers, as on two machines; the README's
"Training on several machines" section shows the same commands.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

UPSCALE2X = [sys.executable, "-m", "upscale2x"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("mw-images")
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(root / f"{i}.png")
    return root


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _tf_config(ports: list[int], index: int) -> str:
    workers = [f"127.0.0.1:{p}" for p in ports]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def _args(photos, out, epochs, *extra):
    return [
        "train", str(photos), "--task", "sr8x", "--out", str(out), "--base-width", "2", "--max-width", "8",
        "--ndf", "2", "--batch", "1", "--epochs", str(epochs), "--val-fraction", "0.2", "--no-dropout",
        "--distribute", "multiworker", "-q", *extra,
    ]  # fmt: skip


def _worker(ports, index, photos, out, epochs=1, *extra):
    env = dict(os.environ, TF_CONFIG=_tf_config(ports, index))
    cmd = [*UPSCALE2X, *_args(photos, out, epochs, *extra)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc, timeout=180) -> tuple[int, str, float]:
    t = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"worker still running after {timeout} s: {out[-2000:]}")
    return proc.returncode, out, time.monotonic() - t


def _wait_for(path: Path, timeout=180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


MIRRORED = """
import sys
from upscale2x.model._tf import tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from upscale2x.train.config import TrainConfig
from upscale2x.train.fit import train
train(TrainConfig(data=sys.argv[1], task="sr8x", out=sys.argv[2], preset=None, base_width=2, max_width=8, ndf=2,
                  batch=1, epochs=1, val_fraction=0.2, dropout=False, distribute="mirrored"))
"""


def test_two_workers_train_one_bundle_like_two_replicas_in_one_process(tmp_path, photos):
    from upscale2x.model.bundle import load_bundle

    ports = _free_ports(2)
    chief = _worker(ports, 0, photos, tmp_path / "w0")
    time.sleep(2)  # the other worker comes later: the chief waits for it
    other = _worker(ports, 1, photos, tmp_path / "w1")
    (rc0, out0, _), (rc1, out1, _) = _finish(chief), _finish(other)
    assert (rc0, rc1) == (0, 0), out0 + out1
    assert out0 == "" and out1 == "", "a normal finish prints nothing (no heartbeat errors)"
    card = json.loads((tmp_path / "w0" / "card.json").read_text())
    assert card["training"]["replicas"] == 2 and card["training"]["global_batch"] == 2
    # One bundle, the chief's; the other worker keeps only its checkpoints (for --resume) and its settings.
    assert sorted(p.name for p in (tmp_path / "w1").iterdir()) == ["checkpoints", "train_config.json"]
    # The same global batch in one process (two replicas on two logical CPUs) trains the same weights: each
    # replica sees the same example and the gradients are summed the same way. (A single replica of batch 2
    # would not: BatchNorm's statistics are per replica.)
    r = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(photos), str(tmp_path / "m")], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    ours, theirs = load_bundle(tmp_path / "w0").model, load_bundle(tmp_path / "m").model
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_peer_that_never_comes_ends_the_run_in_one_line_and_sigterm_ends_the_wait(tmp_path, photos):
    ports = _free_ports(2)
    lonely = _worker(ports, 0, photos, tmp_path / "a", 1, "--peer-timeout", "3")
    rc, out, _ = _finish(lonely, 120)
    assert rc == 1
    assert out.strip().splitlines() == [
        f"error: worker 1 (127.0.0.1:{ports[1]}) did not come within --peer-timeout 3 s; nothing was trained"
    ]
    assert not (tmp_path / "a").exists(), "a run that never started leaves no folder"
    # SIGTERM (a scheduler's preemption) while waiting for the peer: over in seconds, exit 130, nothing left.
    waiting = _worker(ports, 0, photos, tmp_path / "b")
    time.sleep(8)  # past TensorFlow's import: waiting for worker 1
    waiting.send_signal(signal.SIGTERM)
    rc, out, took = _finish(waiting, 60)
    assert rc == 130 and took < 10, out
    assert "interrupted" in out and not (tmp_path / "b").exists()


def _step(out: Path) -> int:
    return json.loads((out / "checkpoints" / "latest.json").read_text())["global_step"]


@pytest.mark.slow  # the slowest test of the suite (75-106 s: four two-worker runs); `-m slow` runs it
def test_a_lost_peer_names_itself_and_resume_continues_on_every_worker(tmp_path, photos):
    ports = _free_ports(2)
    w0, w1 = tmp_path / "w0", tmp_path / "w1"
    chief, other = _worker(ports, 0, photos, w0, 50), _worker(ports, 1, photos, w1, 50)
    for out in (w0, w1):  # both have saved once: the loss comes mid-run, with checkpoints to resume from
        _wait_for(out / "checkpoints" / "latest.json")
    other.send_signal(signal.SIGKILL)  # the machine is gone: no goodbye
    other.wait()
    rc, out, _ = _finish(chief, 120)
    saved = _step(w0)
    assert rc == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: worker 1 (127.0.0.1:{ports[1]}) lost at step ")
    assert lines[0].endswith(f"; checkpoint at step {saved}; run the same command with --resume on every worker")
    if _step(w1) != saved:  # killed while saving: its own checkpoint lags, and the resume says what to do
        chief, other = _worker(ports, 0, photos, w0, 50, "--resume"), _worker(ports, 1, photos, w1, 50, "--resume")
        (rc0, out0, _), (rc1, out1, _) = _finish(chief), _finish(other)
        assert rc0 == rc1 == 1 and "copy the chief's checkpoints/ into every worker's --out" in out0 + out1
        subprocess.run(["rm", "-rf", str(w1 / "checkpoints")], check=True)
        subprocess.run(["cp", "-r", str(w0 / "checkpoints"), str(w1)], check=True)
    epochs = json.loads((w0 / "checkpoints" / "latest.json").read_text())["epoch"] + 1
    chief = _worker(ports, 0, photos, w0, epochs, "--resume")
    other = _worker(ports, 1, photos, w1, epochs, "--resume")
    (rc0, out0, _), (rc1, out1, _) = _finish(chief), _finish(other)
    assert (rc0, rc1) == (0, 0), out0 + out1
    assert _step(w0) > saved and _step(w0) == _step(w1)
    assert json.loads((w0 / "card.json").read_text())["training"]["replicas"] == 2


def test_sigterm_mid_run_ends_both_workers_in_seconds_keeping_the_last_checkpoint(tmp_path, photos):
    ports = _free_ports(2)
    w0, w1 = tmp_path / "w0", tmp_path / "w1"
    chief, other = _worker(ports, 0, photos, w0, 50), _worker(ports, 1, photos, w1, 50)
    # Both have saved once (the chief may finish its first save after the other worker: a SIGTERM before that
    # rightly leaves the chief nothing, which once failed this test under CI's load).
    for out in (w0, w1):
        _wait_for(out / "checkpoints" / "latest.json")
    time.sleep(1)
    for proc in (chief, other):
        proc.send_signal(signal.SIGTERM)
    for proc in (chief, other):
        rc, out, took = _finish(proc, 60)
        assert rc == 130 and took < 15, out
        assert out.strip().splitlines() == ["interrupted: nothing partial was written"]
    for out in (w0, w1):
        pointer = json.loads((out / "checkpoints" / "latest.json").read_text())
        assert (out / "checkpoints" / pointer["name"]).is_dir()
        assert not list((out / "checkpoints").glob(".*")), "no half-written checkpoint is left"


STUCK = """
import signal, time
from upscale2x.train.cluster import SignalKeeper
signal.signal(signal.SIGTERM, lambda *a: None)  # Python never unwinds, as a main thread stuck in TensorFlow
with SignalKeeper(lambda: print("tidied", flush=True), lambda why: print("interrupted", why, flush=True)):
    print("ready", flush=True)
    time.sleep(60)
"""


def test_a_worker_stuck_after_sigterm_is_ended_by_the_watchdog_with_the_cli_exit_code():
    # Under load a worker can still be inside a collective when SIGTERM comes: the watchdog then ends it, and
    # it must end as the CLI does after SIGTERM (130), not with the signal's own 143 (a CI run failed on that).
    proc = subprocess.Popen([sys.executable, "-c", STUCK], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    rc, out, took = _finish(proc, 60)
    assert (rc, out) == (130, "tidied\ninterrupted None\n")
    assert 4 < took < 15, "it waits the grace period for the main thread, then ends the process"


MASKED = """
import signal, sys, time
from upscale2x.train.cluster import SignalKeeper
def on_sigterm(*a):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, on_sigterm)  # as the CLI's
try:
    with SignalKeeper(lambda: None, lambda why: None):
        print("ready", flush=True)
        try:
            time.sleep(60)
        except KeyboardInterrupt:  # what pybind11 makes of it inside TensorFlow's error of a lost collective
            raise RuntimeError("MISMATCH of original and normalized active exception types") from None
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def test_an_error_that_masks_the_interrupt_after_sigterm_is_still_the_interrupt():
    # A CI run: SIGTERM landed while TensorFlow built the UnavailableError of a collective whose peer had just
    # ended; pybind11 replaced the KeyboardInterrupt with a RuntimeError and the worker died with a traceback
    # (exit 1). Once a signal came, an error leaving the run is the interruption.
    proc = subprocess.Popen([sys.executable, "-c", MASKED], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    rc, out, took = _finish(proc, 60)
    assert (rc, out) == (130, "interrupted\n") and took < 4


@pytest.mark.parametrize(
    ("tf_config", "message"),
    [
        (None, "--distribute multiworker needs TF_CONFIG"),
        ("{not json", "TF_CONFIG: expected"),
        ('{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 3}}', "task worker 3 is not in"),
        ('{"cluster": {"worker": ["h:1", "nohostport"]}, "task": {"type": "worker", "index": 0}}', "host:port"),
    ],
)
def test_a_bad_tf_config_is_one_line(tf_config, message):
    from upscale2x.errors import TrainError
    from upscale2x.train.cluster import cluster_from_env

    with pytest.raises(TrainError, match=message):
        cluster_from_env({} if tf_config is None else {"TF_CONFIG": tf_config})


def test_the_cluster_of_a_tf_config_with_a_chief():
    from upscale2x.train.cluster import cluster_from_env

    env = {
        "TF_CONFIG": '{"cluster": {"chief": ["c:1"], "worker": ["w:2", "w:3"]}, "task": {"type": "worker", "index": 1}}'
    }
    cluster = cluster_from_env(env)
    assert cluster.workers == ("c:1", "w:2", "w:3") and cluster.index == 2 and not cluster.chief
    assert cluster.peers == {0: "c:1", 1: "w:2"}


def test_peer_timeout_must_be_positive(tmp_path, photos):
    from typer.testing import CliRunner

    from upscale2x.cli import app

    r = CliRunner().invoke(app, _args(photos, tmp_path / "o", 1, "--peer-timeout", "0"))
    assert r.exit_code == 1 and "peer timeout must be > 0 seconds, got 0.0" in r.output
    assert not (tmp_path / "o").exists()
