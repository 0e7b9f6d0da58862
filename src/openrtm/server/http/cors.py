"""Cross-origin access to the media transfers, for the browser SDK (aiohttp-cors).

A web app is often served from another origin than the openrtm server it talks to (issue #14:
"a page on another origin can load the SDK and upload and download media"). Media requests
carry ``Authorization: Bearer <ticket>`` and downloads may carry ``Range``, so the browser
sends a preflight (``OPTIONS``) first; aiohttp-cors answers it and adds the
``Access-Control-*`` headers to the real answers. Any origin is allowed: the ticket, not the
origin, is what authorizes a transfer, and no cookies are involved (no credentials mode).
The SDK files themselves need no preflight and say ``Access-Control-Allow-Origin: *`` on
their own (:mod:`openrtm.server.http.sdk`).
"""

from __future__ import annotations

import aiohttp_cors
from aiohttp import hdrs, web

from openrtm.protocol.media import MEDIA_PATH

__all__ = ["setup"]

_MEDIA_OPTIONS = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
    allow_credentials=False,
    allow_headers=(hdrs.AUTHORIZATION, hdrs.CONTENT_TYPE, hdrs.RANGE),
    # What the SDK reads from an answer: the size and type of a download, a part's range.
    expose_headers=(
        hdrs.CONTENT_LENGTH,
        hdrs.CONTENT_RANGE,
        hdrs.CONTENT_TYPE,
        hdrs.ACCEPT_RANGES,
    ),
    max_age=600,
)


def setup(app: web.Application) -> None:
    """Allow the media routes cross-origin; run after the media routes are added."""
    cors = aiohttp_cors.setup(app)
    prefix = "/" + MEDIA_PATH
    for route in list(app.router.routes()):
        resource = route.resource
        if resource is None or route.method == hdrs.METH_HEAD:
            continue
        if resource.canonical == prefix or resource.canonical.startswith(prefix + "/"):
            cors.add(route, {"*": _MEDIA_OPTIONS})
