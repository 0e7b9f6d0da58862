"""A request's ``Expect`` header that is not valid UTF-8 must get a 417, not a 500.

aiohttp (3.14) answers an ``Expect`` it does not know with ``HTTPExpectationFailed`` whose text
quotes the header. aiohttp decodes header bytes as UTF-8 with ``surrogateescape``, so a byte
such as ``\\xe9`` becomes a lone surrogate, the quoted text cannot be encoded, and the request
ends in a 500 with a traceback — on every path, unknown ones included, and before any
middleware runs (the expect handler is called first, by the route or by the 404 route aiohttp
makes per request). No public setting reaches every route, so the default handler itself is
replaced, once, by one that answers the same way without quoting the header.
"""

from __future__ import annotations

from aiohttp import hdrs, web, web_urldispatcher
from aiohttp.http import HttpVersion11

__all__ = ["expect_handler", "install"]


async def expect_handler(request: web.Request) -> None:
    """aiohttp's default behaviour: ``100 Continue`` for ``100-continue``, else 417."""
    expect = request.headers.get(hdrs.EXPECT, "")
    if request.version != HttpVersion11:
        return
    if expect.lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
        return
    raise web.HTTPExpectationFailed(text="unknown Expect header")


def install() -> None:
    """Make :func:`expect_handler` the default of every route created from now on."""
    web_urldispatcher._default_expect_handler = expect_handler
