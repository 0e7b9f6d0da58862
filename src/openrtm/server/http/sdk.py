"""The browser SDK on the HTTP face: ``GET /sdk/<file>`` and ``GET /sdk/server.json``.

The built files of ``sdk/js`` ship inside the Python package (``openrtm/web/sdk/``), so that a
page can load the SDK from the server it talks to with a ``<script>`` tag or an ``import``,
with no Node.js on the server; ``AgoraRTM.d.ts`` is its TypeScript types. They are served
with ``Access-Control-Allow-Origin: *``: a page on another origin may load them.
``server.json`` tells an SDK loaded from here which WebSocket URL to connect to when the app
names none (the WebSocket endpoint has a port of its own, docs/protocol.md §1.1).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from aiohttp import hdrs, web

from openrtm.server.http.context import NODE

__all__ = ["SDK_FILES", "setup"]

SDK_FILES = {
    "agora-rtm-sdk.js": "text/javascript",
    "agora-rtm-sdk.min.js": "text/javascript",
    "agora-rtm-sdk.mjs": "text/javascript",
    # The types (sdk/js/types/), for editors and tools that fetch them by URL (e.g. Deno's
    # `// @deno-types`): TypeScript's conventional media type.
    "AgoraRTM.d.ts": "application/typescript",
}
"""The files served under ``/sdk/``, with their content types."""

_CORS = {hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: "*"}


def _sdk_dir() -> Path:
    return Path(str(importlib.resources.files("openrtm") / "web" / "sdk"))


async def sdk_file(request: web.Request) -> web.StreamResponse:
    """``GET /sdk/<file>``: one of the built files, or 404."""
    name = request.match_info["name"]
    content_type = SDK_FILES.get(name)
    path = _sdk_dir() / name
    if content_type is None or not path.is_file():
        raise web.HTTPNotFound()
    headers = {**_CORS, hdrs.CONTENT_TYPE: f"{content_type}; charset=utf-8"}
    # Revalidated on every load: the SDK must match the server it is served by.
    headers[hdrs.CACHE_CONTROL] = "no-cache"
    return web.FileResponse(path, headers=headers)


async def server_json(request: web.Request) -> web.Response:
    """``GET /sdk/server.json``: ``{"websocket": URL}`` for an SDK loaded from here.

    The host is the one the page reached this face by (its ``Host`` header), the port the
    WebSocket endpoint's.
    """
    node = request.app[NODE]
    host = request.url.host or node.config.host
    if ":" in host:
        host = f"[{host}]"
    scheme = "wss" if request.scheme == "https" else "ws"
    return web.json_response({"websocket": f"{scheme}://{host}:{node.ws_port}/"}, headers=_CORS)


def setup(app: web.Application) -> None:
    """Add the ``/sdk/`` routes."""
    app.router.add_get("/sdk/server.json", server_json, allow_head=False)
    app.router.add_get("/sdk/{name}", sdk_file, allow_head=False)
