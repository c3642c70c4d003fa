"""The studio in Chromium (Playwright + Debian's Chromium, as the web test): grid, picks, a print with progress,
the deep-zoom viewer, and refused traversal, on a tiny series served by the real uvicorn server."""

import io
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest
from PIL import Image

from upscale2x.io.read import read_image
from upscale2x.live.web import runtime_dir
from upscale2x.series.picks import load_picks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("UPSCALE2X_REQUIRE_BROWSER") == "1"  # .ci/run: the test must run there, not skip
BUILT = (runtime_dir() / "openseadragon" / "openseadragon.min.js").is_file()


@pytest.mark.skipif((CHROMIUM is None or not BUILT) and not REQUIRED, reason="needs Chromium and web/build.py")
def test_pick_render_and_view_a_print_in_the_browser(tmp_path, tiny_series):
    import playwright.sync_api as playwright
    import uvicorn

    from upscale2x.studio.server import create_app

    series = tiny_series
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(create_app(series, runtime_dir()), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    tiles = []
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.on("response", lambda r: "_files/" in r.url and tiles.append(r.status))
            page.goto(url)
            page.wait_for_selector(".cand img[src]")
            assert page.locator(".cand").count() == 4  # every candidate
            page.click('.cand[data-id="1"]')
            page.wait_for_selector('.cand[data-id="1"].picked')
            page.click('.cand[data-id="3"]')
            page.wait_for_selector('.cand[data-id="3"].picked')
            assert load_picks(series.out) == [1, 3]  # saved with the series: `series --pick saved` renders these
            page.click('.cand[data-id="3"]')  # unpick
            page.wait_for_selector('.cand[data-id="3"]:not(.picked)')
            assert load_picks(series.out) == [1]
            page.fill("#print-size", "3x1.5in")
            page.fill("#print-dpi", "100")
            page.click("#render")
            page.wait_for_selector("li.job")  # the page shows the job and its progress while it renders
            page.wait_for_selector('li.print[data-name="t_0001_300x150.tiff"]', timeout=120000)
            text = page.inner_text('li.print[data-name="t_0001_300x150.tiff"]')
            assert "300x150 px, 100 dpi" in text
            pic = read_image(series.out / "picks" / "t_0001_300x150.tiff")
            assert pic.size == (150, 300) and pic.info.dpi == (100, 100)
            page.click('li.print[data-name="t_0001_300x150.tiff"] button')
            page.wait_for_selector("#viewer canvas", timeout=30000)
            deadline = time.time() + 30
            while not tiles and time.time() < deadline:
                page.wait_for_timeout(100)
            assert tiles and all(s == 200 for s in tiles), tiles
            drop = tmp_path / "drop.png"
            Image.fromarray(np.full((20, 24, 3), 128, np.uint8)).save(drop)
            page.set_input_files("#trial-file", str(drop))
            page.select_option("#trial-what", "model=sr8x")  # a shipped bundle, as a user picks it
            page.click("#trial-go")
            page.wait_for_selector("#compare:not([hidden]) #after[src]")
            page.wait_for_function("document.getElementById('after').naturalWidth === 192")  # 24 px at 8x
            page.fill("#slider", "20")
            assert page.evaluate("document.getElementById('before-clip').style.width") == "20%"
            page.click("#more")  # generate more: a round of candidates joins the grid
            page.wait_for_function("document.querySelectorAll('.cand img[src]').length === 8", timeout=120000)
            for bad in ("files/../s.toml", "files/%2e%2e/s.toml", "static/..%2f..%2fserver.py", "files//etc/passwd"):
                assert page.request.get(url + bad).status in (403, 404), bad
            shot = page.screenshot(path=os.environ.get("UPSCALE2X_STUDIO_SCREENSHOT") or str(tmp_path / "studio.png"))
            assert Image.open(io.BytesIO(shot)).size == (1100, 800)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(30)
