"""`upscale2x studio`: a local web app over one print series: candidates to pick, prints to render, a 100 % view.

Starlette (routing, JSON, files) under uvicorn: a small, well-kept ASGI stack, so the app is a table of routes
and the page's long work (prints) runs on the queue's thread while requests keep being answered.

Safety: the app serves only files inside the series folder (a name that leaves it, by ``..``, an absolute path
or a symlink, is a 404), parameters are checked and a bad one is a 4xx JSON ``{"error", "field"}``, and picks and
prints go through the series' own code (series/picks.py, Series.render_picks) as on the command line.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import ImageReadError, RenderError, SeriesError, Upscale2xError
from ..series.picks import load_picks, save_picks
from ..series.run import Series
from .prints import PrintQueue
from .tiles import PrintTiles, dzi
from .trial import render_trial, save_upload

PAGE = Path(__file__).resolve().parent / "webpage"  # index.html, studio.js, studio.css (committed)
CACHE = ".studio"  # inside the series folder: overviews and tiled copies of PNG prints
PRINT_NAME = re.compile(r"[A-Za-z0-9_.-]+\.(tiff|png)")
TRIAL_NAME = re.compile(r"(in|out)-[0-9a-f]{16}\.[a-z]+")


def error(message: str, field: str | None = None, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


def inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` if it is a file within ``root`` after resolving links and ``..``; else None."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def create_app(series: Series, vendor: Path | None = None) -> Starlette:
    """The studio over ``series`` (its folder: ``series.out``); ``vendor``: the folder of OpenSeadragon's files."""
    out = series.out
    queue = PrintQueue(series)
    viewers: dict[str, PrintTiles] = {}

    def candidates_json() -> list[dict]:
        return [
            {
                **asdict(c),
                "rendered": series.candidate_path(c.id).exists(),
                "file": f"candidates/{series.candidate_path(c.id).name}",
            }
            for c in series.candidates
        ]

    async def index(request: Request) -> Response:
        return FileResponse(PAGE / "index.html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        for folder in (PAGE, vendor):
            found = inside(folder, name) if folder else None
            if found:
                return FileResponse(found)
        return error(f"no such file: {name}", "name", 404)

    async def files(request: Request) -> Response:
        found = inside(out, request.path_params["path"])
        if found is None or CACHE in found.relative_to(out.resolve()).parts:
            return error("no such file in the series folder", "path", 404)
        return FileResponse(found)

    async def series_info(request: Request) -> Response:
        s = series.spec
        return JSONResponse(
            {
                "name": s.name,
                "model": s.model,
                "upscaler": s.upscaler,
                "print": asdict(s.print),
                "candidates": candidates_json(),
                "picks": load_picks(out),
            }
        )

    async def picks(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"picks": load_picks(out)})
        body = await _json(request)
        ids = body.get("picks") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return error("picks must be a list of candidate ids", "picks", 422)
        try:
            return JSONResponse({"picks": save_picks(out, ids, len(series.candidates))})
        except SeriesError as e:
            return error(str(e), "picks", 422)

    async def prints(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"jobs": [asdict(j) for j in queue.jobs], "files": await run_in_threadpool(_prints)})
        body = await _json(request)
        if not isinstance(body, dict):
            return error("expected a JSON object", None, 422)
        cid, size, dpi, fmt = body.get("id"), body.get("size"), body.get("dpi"), body.get("format")
        for name, value, kind in (("id", cid, int), ("size", size, str), ("dpi", dpi, int), ("format", fmt, str)):
            if (value is not None or name == "id") and (not isinstance(value, kind) or isinstance(value, bool)):
                return error(f"{name} must be {'a whole number' if kind is int else 'a string'}", name, 422)
        if fmt is not None and fmt not in ("tiff", "png"):
            return error("format must be tiff or png", "format", 422)
        try:
            job = queue.submit(cid, size, dpi, fmt)
        except SeriesError as e:
            field = "id" if "candidate" in str(e) else ("dpi" if "dpi" in str(e) else "size")
            return error(str(e), field, 422)
        return JSONResponse(asdict(job), status_code=202)

    async def more(request: Request) -> Response:
        return JSONResponse(asdict(queue.more()), status_code=202)

    async def models(request: Request) -> Response:
        from ..model.bundle import list_bundles

        return JSONResponse([{"name": n, "task": c.task, "scale": c.spec.scale} for n, c in list_bundles()])

    async def trial(request: Request) -> Response:
        q = request.query_params
        scale = q.get("scale") or None
        if scale is not None and not scale.isdigit():
            return error("scale must be a whole number", "scale", 422)
        chain = tuple(filter(None, (q.get("chain") or "").split(",")))
        model = q.get("model") or None
        if model and chain:
            return error("give a model or a chain, not both", "model", 422)
        body = await request.body()
        try:
            src = await run_in_threadpool(save_upload, body, out / CACHE / "renders")
            dst = await run_in_threadpool(render_trial, src, model, chain, int(scale) if scale else None, series.engine)
        except ImageReadError as e:
            return error(str(e), "image", 422)
        except Upscale2xError as e:
            text = str(e)
            field = "scale" if "scale" in text else ("chain" if chain else "model")
            return error(text, field, 422)
        return JSONResponse({"before": f"/api/renders/{src.name}", "after": f"/api/renders/{dst.name}"})

    async def trial_file(request: Request) -> Response:
        name = request.path_params["name"]
        found = inside(out / CACHE / "renders", name) if TRIAL_NAME.fullmatch(name) else None
        return FileResponse(found) if found else error("no such render", "name", 404)

    def _prints() -> list[dict]:
        folder = out / "picks"
        found = []
        for p in sorted(folder.glob("*")) if folder.is_dir() else []:
            if PRINT_NAME.fullmatch(p.name) and p.is_file() and not p.is_symlink():
                found.append({"name": p.name, **_print_info(p)})
        return found

    def viewer(name: str) -> PrintTiles | None:
        if not PRINT_NAME.fullmatch(name) or inside(out, f"picks/{name}") is None:
            return None
        if name not in viewers:
            try:
                viewers[name] = PrintTiles(out / "picks" / name, out / CACHE)
            except RenderError:  # not a print upscale2x wrote (or unreadable): nothing to view
                return None
        return viewers[name]

    async def deep_zoom(request: Request) -> Response:
        v = await run_in_threadpool(viewer, request.path_params["name"])
        if v is None:
            return error("no such print", "name", 404)
        return Response(dzi(v.width, v.height), media_type="application/xml")

    async def tile(request: Request) -> Response:
        p = request.path_params
        v = await run_in_threadpool(viewer, p["name"])
        if v is None:
            return error("no such print", "name", 404)
        try:
            pixels = await run_in_threadpool(v.tile, p["level"], p["col"], p["row"])
        except RenderError as e:
            return error(str(e), "tile", 404)
        return Response(_png(pixels), media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @asynccontextmanager
    async def lifespan(app):
        yield
        queue.close()  # a render in progress unwinds: its temporary file goes, no partial print stays
        for v in viewers.values():
            v.close()

    routes = [
        Route("/", index),
        Route("/static/{name:path}", static),
        Route("/files/{path:path}", files),
        Route("/api/series", series_info),
        Route("/api/picks", picks, methods=["GET", "PUT"]),
        Route("/api/prints", prints, methods=["GET", "POST"]),
        Route("/api/candidates/more", more, methods=["POST"]),
        Route("/api/models", models),
        Route("/api/render", trial, methods=["POST"]),
        Route("/api/renders/{name}", trial_file),
        Route("/api/prints/{name}.dzi", deep_zoom),
        Route("/api/prints/{name}_files/{level:int}/{col:int}_{row:int}.png", tile),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.queue = queue
    return app


async def _json(request: Request):
    try:
        return await request.json()
    except ValueError:
        return None


def _print_info(path: Path) -> dict:
    """Pixel size, DPI and bytes of a print, from its header."""
    from PIL import Image  # io.read (imported with the series) turns Pillow's pixel-count guard off

    with Image.open(path) as im:
        dpi = im.info.get("dpi") or (None, None)
        return {
            "width": im.width,
            "height": im.height,
            "dpi": round(float(dpi[0])) if dpi[0] else None,
            "bytes": path.stat().st_size,
        }


def _png(pixels) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
