"""Hypothesis against the media endpoints: hostile requests never get a 500 or a traceback.

Raw HTTP/1.1 over a socket, so that nothing in between tidies the request up: random methods
and paths, tickets (none, garbage, forged, valid), content types (multipart with garbage
parts included), Range headers, bodies and their framing (exact, short or long
Content-Length, valid or broken chunking), and plain garbage bytes. Each answer must be a
4xx (or a 2xx for what happens to be valid), never a 5xx; the server must log no warning, no
error and no traceback, leave no temporary file, and still serve a well-formed upload.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openrtm.server import Server
from tests.conftest import ClientFactory, unit, until

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Printable ASCII without CR and LF: header values that keep the request's framing intact.
_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@dataclass
class Target:
    server: Server
    ticket: str
    media_id: str


@pytest.fixture
async def target(server: Server, make_client: ClientFactory) -> Target:
    client = make_client(server)
    await client.login("fuzzer")
    assert client.media_ticket is not None
    message = await client.create_media_message_by_uploading(b"a known object")
    assert message.media_id is not None
    return Target(server, client.media_ticket, message.media_id)


@st.composite
def requests(draw: st.DrawFn, ticket: str, media_id: str) -> tuple[bytes, bool]:
    """A request, and whether an answer is due without more bytes (a Content-Length longer
    than the body is not: the client hangs up instead, cutting the body short)."""
    method = draw(st.sampled_from(["POST", "POST", "GET", "GET", "HEAD", "PUT", "OPTIONS"]))
    path = draw(
        st.one_of(
            st.just("/media"),
            st.just(f"/media/{media_id}"),
            st.builds(lambda s: "/media/" + s, st.text("abcXYZ019_-./%", max_size=70)),
        )
    )
    headers: list[tuple[str, str]] = [("Host", "fuzz"), ("Connection", "close")]
    auth = draw(
        st.one_of(
            st.none(),
            st.just(f"Bearer {ticket}"),
            st.just(f"Bearer {ticket}"),
            st.builds(lambda s: "Bearer " + s, _HEADER_TEXT),
            st.builds(
                lambda s: f"Bearer {ticket[:-3]}{s}", st.text("AB_-", min_size=3, max_size=3)
            ),
            _HEADER_TEXT,
        )
    )
    if auth is not None:
        headers.append(("Authorization", auth))
    boundary = draw(st.text("abcdef0123456789-", min_size=1, max_size=20))
    content_type = draw(
        st.one_of(
            st.none(),
            st.just("application/octet-stream"),
            st.just(f"multipart/form-data; boundary={boundary}"),
            _HEADER_TEXT,
        )
    )
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    rng = draw(
        st.one_of(
            st.none(),
            st.builds("bytes={}-{}".format, st.integers(-5, 40), st.integers(-5, 40)),
            st.builds("bytes=-{}".format, st.integers(0, 40)),
            _HEADER_TEXT,
        )
    )
    if rng is not None:
        headers.append(("Range", rng))
    if draw(st.booleans()):
        headers.append(("Expect", draw(st.sampled_from(["100-continue", "nonsense"]))))
    body = draw(
        st.one_of(
            st.binary(max_size=3000),
            st.builds(
                lambda junk, tail: (
                    f"--{boundary}\r\nContent-Disposition: form-data; name=file\r\n\r\n".encode()
                    + junk
                    + tail.encode()
                ),
                st.binary(max_size=200),
                st.sampled_from(["", f"\r\n--{boundary}--\r\n", f"\r\n--{boundary}\r\n"]),
            ),
        )
    )
    framing = draw(st.sampled_from(["exact", "short", "long", "chunked", "bad-chunked", "none"]))
    if framing == "exact":
        headers.append(("Content-Length", str(len(body))))
    elif framing == "short":
        headers.append(("Content-Length", str(max(0, len(body) - draw(st.integers(1, 50))))))
    elif framing == "long":
        headers.append(("Content-Length", str(len(body) + draw(st.integers(1, 5000)))))
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        body = (b"%x\r\n" % len(body) + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    elif framing == "bad-chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        body = draw(st.sampled_from([b"zz\r\n", b"5\r\nab", b"-1\r\n\r\n", b"ffffffffffff\r\n"]))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    request = head.encode("latin-1") + b"\r\n" + body
    if draw(st.integers(0, 9)) == 0:  # now and then, garbage bytes in the middle
        cut = draw(st.integers(0, len(request)))
        request = request[:cut] + draw(st.binary(min_size=1, max_size=40)) + request[cut:]
    return request, framing != "long"


async def exchange(server: Server, request: bytes, answer_due: bool = True) -> int | None:
    """Send ``request``; the status of the first answer, or None if there is none.

    Without an answer due, hang up at once. (A half-close would not do: aiohttp closes the
    connection on EOF from the client.) Garbage may also turn a request into one that waits
    for more bytes: after a while without an answer the client hangs up, and that is fine.
    """
    reader, writer = await asyncio.open_connection(server.config.host, server.http.port)
    try:
        writer.write(request)
        await writer.drain()
        if not answer_due:
            return None
        line = await asyncio.wait_for(reader.readline(), unit(2))
        if line.startswith(b"HTTP/1.1 100 "):  # Continue: the final answer follows
            while (await asyncio.wait_for(reader.readline(), unit(2))).strip():
                pass
            line = await asyncio.wait_for(reader.readline(), unit(2))
    except (ConnectionError, TimeoutError):
        return None
    finally:
        writer.close()
    parts = line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def bad_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.WARNING
    ]


@settings(FUZZ, max_examples=150)
@given(data=st.data())
async def test_hostile_requests_never_get_a_500(
    target: Target, caplog: pytest.LogCaptureFixture, data: Any
) -> None:
    caplog.clear()
    request, answer_due = data.draw(requests(target.ticket, target.media_id))
    status = await exchange(target.server, request, answer_due)
    event(f"status {status}")
    assert status is None or status < 500, (status, request[:300])
    media = target.server.node.media
    await until(lambda: not media._transfers)
    tmp = target.server.config.media_dir / "tmp"
    assert not list(tmp.iterdir())
    assert not bad_records(caplog), bad_records(caplog)


@settings(FUZZ, max_examples=60)
@given(garbage=st.binary(max_size=2000))
async def test_garbage_bytes_never_get_a_500(
    target: Target, caplog: pytest.LogCaptureFixture, garbage: bytes
) -> None:
    caplog.clear()
    status = await exchange(target.server, garbage)
    assert status is None or status < 500
    assert not bad_records(caplog), bad_records(caplog)


async def test_after_the_fuzz_a_real_upload_works(target: Target) -> None:
    # The fixture's own upload worked; one more through a plain client, after raw abuse.
    await exchange(target.server, b"POST /media HTTP/1.1\r\nContent-Length: 99\r\n\r\nab")
    headers = {"Authorization": f"Bearer {target.ticket}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(target.server.http_url + "media", data=b"fine", headers=headers) as r,
    ):
        assert r.status == 200
