"""An ``Expect`` header aiohttp cannot quote (not UTF-8) gets a 417 on every path, never a 500
with a traceback (src/openrtm/server/http/expect.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from openrtm.server import Server
from tests.conftest import unit


async def status_of(server: Server, request: bytes) -> bytes:
    host, port = server.http_url.split("//")[1].rstrip("/").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return (await asyncio.wait_for(reader.readline(), unit(5))).rstrip()
    finally:
        writer.close()


@pytest.mark.parametrize("path", [b"/healthz", b"/media/abc", b"/no/such/path", b"/sdk/x.js"])
@pytest.mark.parametrize("expect", [b"caf\xe9", b"\xed\xa0\x80", b"nonsense"])
async def test_an_unknown_expect_is_417_on_every_path(
    server: Server, path: bytes, expect: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    request = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: "
    assert await status_of(server, request + expect + b"\r\n\r\n") == (
        b"HTTP/1.1 417 Expectation Failed"
    )
    assert not caplog.records


async def test_100_continue_is_still_answered(server: Server) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n"
    assert await status_of(server, request) == b"HTTP/1.1 100 Continue"
