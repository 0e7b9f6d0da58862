"""The demo web app on the HTTP face: ``GET /`` (its page) and ``GET /demo/<file>`` (its assets).

The demo is an Agora RTM 1.x Web app built on the browser SDK (source in ``sdk/js/demo/``,
bundled by ``npm run build`` into the package's ``openrtm/web/demo/``). Its page loads the SDK
from ``/sdk/agora-rtm-sdk.js`` on this same face, which finds the WebSocket endpoint by itself
(:mod:`openrtm.server.http.sdk`), so the page works wherever the server is reached from.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from aiohttp import hdrs, web

__all__ = ["DEMO_FILES", "setup"]

DEMO_FILES = {
    "app.js": "text/javascript",
    "style.css": "text/css",
}
"""The assets served under ``/demo/``, with their content types."""

_PAGE = "index.html"


def _demo_dir() -> Path:
    return Path(str(importlib.resources.files("openrtm") / "web" / "demo"))


def _file(name: str, content_type: str) -> web.FileResponse:
    path = _demo_dir() / name
    if not path.is_file():
        raise web.HTTPNotFound()
    # Revalidated on every load: the page must match the SDK and server it is served with.
    headers = {hdrs.CONTENT_TYPE: f"{content_type}; charset=utf-8", hdrs.CACHE_CONTROL: "no-cache"}
    return web.FileResponse(path, headers=headers)


async def page(request: web.Request) -> web.StreamResponse:
    """``GET /``: the demo app's page."""
    return _file(_PAGE, "text/html")


async def asset(request: web.Request) -> web.StreamResponse:
    """``GET /demo/<file>``: one of the demo's assets, or 404."""
    name = request.match_info["name"]
    content_type = DEMO_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return _file(name, content_type)


def setup(app: web.Application) -> None:
    """Add ``/`` and the ``/demo/`` routes."""
    app.router.add_get("/", page, allow_head=False)
    app.router.add_get("/demo/{name}", asset, allow_head=False)
