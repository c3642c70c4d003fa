"""The studio's API on a tiny series (Starlette's test client; the browser test drives the same routes)."""

import io
import os
import time

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from upscale2x.io.read import read_image
from upscale2x.series.picks import load_picks
from upscale2x.series.run import Series
from upscale2x.studio.server import create_app


@pytest.fixture
def studio(tiny_series):
    with TestClient(create_app(tiny_series)) as client:
        yield client, tiny_series


def _wait(client, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [j for j in client.get("/api/prints").json()["jobs"] if j["id"] == job_id]
        if jobs and jobs[-1]["state"] in ("done", "failed"):
            return jobs[-1]
        time.sleep(0.1)
    pytest.fail("the print never finished")


def test_candidates_and_picks_agree_with_the_series(studio):
    client, series = studio
    info = client.get("/api/series").json()
    assert [c["id"] for c in info["candidates"]] == [0, 1, 2, 3] and all(c["rendered"] for c in info["candidates"])
    assert info["picks"] == [] and info["print"]["dpi"] == 100
    thumb = client.get("/files/" + info["candidates"][0]["file"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    r = client.put("/api/picks", json={"picks": [3, 1]})
    assert r.status_code == 200 and r.json() == {"picks": [1, 3]}
    assert load_picks(series.out) == [1, 3]  # the file `upscale2x series --pick saved` renders
    for bad, message in (({"picks": [9]}, "no candidate 9"), ({"picks": ["1"]}, "list of candidate ids"), ([], "list")):
        r = client.put("/api/picks", json=bad)
        assert r.status_code == 422 and r.json()["field"] == "picks" and message in r.json()["error"]
    assert load_picks(series.out) == [1, 3]


def test_a_print_renders_once_at_its_size_and_dpi_and_its_tiles_come_back(studio):
    client, series = studio
    a = client.post("/api/prints", json={"id": 1})
    b = client.post("/api/prints", json={"id": 1})  # a second click on "render"
    assert a.status_code == b.status_code == 202 and a.json()["state"] in ("queued", "running")
    job = _wait(client, 1)
    assert job["state"] == "done" and job["file"] == "t_0001_100x50.tiff" and job["done"] == job["total"] > 0
    assert len(client.get("/api/prints").json()["jobs"]) == 1, "two clicks, one render"
    files = client.get("/api/prints").json()["files"]
    assert files == [{"name": "t_0001_100x50.tiff", "width": 100, "height": 50, "dpi": 100, "bytes": files[0]["bytes"]}]
    pic = read_image(series.out / "picks" / "t_0001_100x50.tiff")
    assert pic.size == (50, 100) and pic.info.dpi == (100, 100)
    d = client.get("/api/prints/t_0001_100x50.tiff.dzi")
    assert d.status_code == 200 and 'Width="100" Height="50"' in d.text
    t = client.get("/api/prints/t_0001_100x50.tiff_files/7/0_0.png")  # full size: level ceil(log2(100))
    assert t.status_code == 200 and Image.open(io.BytesIO(t.content)).size == (100, 50)
    assert client.get("/api/prints/t_0001_100x50.tiff_files/7/1_0.png").status_code == 404
    other = client.post("/api/prints", json={"id": 2, "size": "2x1cm", "dpi": 50, "format": "png"})
    assert _wait(client, other.json()["id"])["file"] == "t_0002_39x20.png"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"id": "x"}, "id"), ({"id": 99}, "id"), ({"id": 1, "dpi": 0}, "dpi"), ({"id": 1, "format": "gif"}, "format"),
     ({"id": 1, "size": "big"}, "size"), ({"id": True}, "id")],
)  # fmt: skip
def test_bad_print_parameters_are_4xx_naming_the_field(studio, body, field):
    client, _ = studio
    r = client.post("/api/prints", json=body)
    assert r.status_code == 422 and r.json()["field"] == field, r.json()
    assert client.get("/api/prints").json()["jobs"] == []


def test_only_files_inside_the_series_folder_are_served(studio, tmp_path):
    client, series = studio
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    os.symlink(secret, series.out / "link.txt")
    refused = [
        "/files/../secret.txt",
        "/files/%2e%2e/secret.txt",
        "/files//etc/passwd",
        "/files/link.txt",
        "/files/candidates/../../secret.txt",
        "/static/../../../etc/passwd",
        "/api/prints/..%2fs.tiff.dzi",
    ]
    for path in refused:
        r = client.get(path)
        assert r.status_code in (403, 404), path
        assert b"no" != r.content
    assert client.get("/files/manifest.json").status_code == 200


def test_closing_mid_render_leaves_no_partial_print(studio):
    client, series = studio
    queue = client.app.state.queue
    job = queue.submit(0, "40x40cm", 100)  # a few seconds of cells
    deadline = time.monotonic() + 60
    while job.state == "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.close()
    assert job.state == "failed" and job.error == "stopped"
    assert not [p for p in (series.out / "picks").iterdir()], "no print and no temporary file"


def test_generate_more_renders_a_round_of_candidates_with_progress(studio):
    client, series = studio
    job = client.post("/api/candidates/more")
    assert job.status_code == 202 and job.json()["kind"] == "candidates"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = [j for j in client.get("/api/prints").json()["jobs"] if j["kind"] == "candidates"]
        if done and done[0]["state"] == "done":
            break
        time.sleep(0.1)
    assert done[0]["state"] == "done" and done[0]["done"] == done[0]["total"] > 0
    info = client.get("/api/series").json()
    assert [c["id"] for c in info["candidates"]] == list(range(8)) and all(c["rendered"] for c in info["candidates"])


def test_a_dropped_image_renders_through_the_chosen_model_for_the_before_after(studio, tiny_bundles, tmp_path):
    client, series = studio
    img = tmp_path / "drop.png"
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(img)
    data = img.read_bytes()
    r = client.post(f"/api/render?model={tiny_bundles['sr8x']}", content=data)
    assert r.status_code == 200, r.json()
    before, after = client.get(r.json()["before"]), client.get(r.json()["after"])
    assert Image.open(io.BytesIO(before.content)).size == (10, 12)
    assert Image.open(io.BytesIO(after.content)).size == (80, 96)  # the model's 8x, as `upscale2x render` makes it
    r2 = client.post(f"/api/render?chain={tiny_bundles['see']}", content=data)
    assert r2.status_code == 200 and Image.open(io.BytesIO(client.get(r2.json()["after"]).content)).size == (10, 12)
    for query, body, field in (
        (f"model={tiny_bundles['sr8x']}", b"not an image", "image"),
        (f"model={tiny_bundles['sr8x']}", b"", "image"),
        ("model=nope", data, "model"),
        (f"model={tiny_bundles['sr8x']}&scale=x", data, "scale"),
        (f"model={tiny_bundles['sr8x']}&scale=99", data, "scale"),
        (f"chain={tiny_bundles['see']},nope", data, "chain"),
    ):
        r = client.post(f"/api/render?{query}", content=body)
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.json())
    assert client.get("/api/renders/../../s.toml").status_code == 404
    assert [m["name"] for m in client.get("/api/models").json()]  # the shipped bundles to choose from


def test_a_restarted_server_shows_the_same_picks(studio):
    client, series = studio
    client.put("/api/picks", json={"picks": [2]})
    with TestClient(create_app(Series(series.spec, series.out))) as again:
        assert again.get("/api/picks").json() == {"picks": [2]}


def test_a_file_in_picks_that_is_no_print_is_a_404_not_a_server_error(studio):
    client, series = studio
    (series.out / "picks").mkdir(exist_ok=True)
    (series.out / "picks" / "t_0009_10x10.tiff").write_bytes(b"not a tiff")
    for path in ("/api/prints/t_0009_10x10.tiff.dzi", "/api/prints/t_0009_10x10.tiff_files/0/0_0.png"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["field"] == "name", path
