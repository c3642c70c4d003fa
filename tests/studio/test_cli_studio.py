"""`upscale2x studio`: its errors before serving, and the real server as a user starts and stops it."""

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner

from upscale2x.cli import app

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_errors_are_one_line_before_anything_is_served(tmp_path, tiny_series):
    r = runner.invoke(app, ["studio", str(tmp_path), "--no-browser"])
    assert r.exit_code == 1 and "no manifest naming its spec" in r.output
    r = runner.invoke(app, ["studio", str(tmp_path / "s.toml"), "--out", str(tmp_path / "none"), "--no-browser"])
    assert r.exit_code == 1 and "none: no series there yet; run `upscale2x series" in r.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = runner.invoke(app, ["studio", str(tmp_path / "s.toml"), "--out", str(tiny_series.out), "--port", str(port)])
        assert r.exit_code == 1 and f"127.0.0.1:{port}: cannot listen" in r.output
    r = runner.invoke(app, ["studio", str(tmp_path / "s.toml"), "--port", "0"])
    assert r.exit_code == 2


def test_the_command_serves_the_series_folder_and_stops_on_sigterm(tmp_path, tiny_series):
    tiny_series.write_manifest()  # as `upscale2x series` leaves it: the manifest names the spec
    manifest = json.loads((tiny_series.out / "manifest.json").read_text())
    manifest["spec"] = str(tmp_path / "s.toml")
    (tiny_series.out / "manifest.json").write_text(json.dumps(manifest))
    port = _free_port()
    cmd = [sys.executable, "-m", "upscale2x", "studio", str(tiny_series.out), "--no-browser", "--port", str(port)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        deadline, body = time.monotonic() + 60, None
        while body is None and time.monotonic() < deadline:
            try:
                body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/series", timeout=2).read())
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["name"] == "t" and len(body["candidates"]) == 4
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 130, 143), err
    assert f"at http://localhost:{port}/" in err and "Traceback" not in err
