"""The server's HTTP face (design §1): everything in RTM 1.x that is not a WebSocket frame.

aiohttp serves it on a port of its own (``--http-port``, default the WebSocket port + 1), so that
the WebSocket hot path stays on picows with nothing in front of it (``docs/protocol.md``,
"The HTTP face"). Each module here owns one group of routes and exposes ``setup(app)``.
"""

from openrtm.server.http.app import HttpFace, build_app
from openrtm.server.http.context import NODE

__all__ = ["NODE", "HttpFace", "build_app"]
