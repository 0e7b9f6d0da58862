"""The HTTP face's media endpoints through real HTTP (spec §1.2, §4.16, §5.2).

A real server, a real SDK login for the ticket, real aiohttp requests: uploads and downloads,
Range, the ticket, the limits, retention and the files left on disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from openrtm.server import Server
from tests.conftest import OTHER_APP_ID, ClientFactory, ServerFactory, unit, until
from tests.server.http.conftest import check_against_document

MiB = 1024 * 1024


async def ticket_of(
    server: Server, make_client: ClientFactory, uid: str = "alice", **kw: Any
) -> str:
    client = make_client(server, **kw)
    await client.login(uid)
    assert client.media_ticket is not None
    return client.media_ticket


def auth(ticket: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ticket}"}


async def upload(
    server: Server, ticket: str | None, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    sent = dict(headers or {})
    if ticket is not None:
        sent.update(auth(ticket))
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.http_url + "media", data=body, headers=sent) as response,
    ):
        answer = await response.json()
        check_against_document("POST", "/media", response.status, answer)
        return response.status, answer


async def download(
    server: Server, ticket: str, media_id: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, aiohttp.typedefs.LooseHeaders]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            server.http_url + f"media/{media_id}", headers={**auth(ticket), **(headers or {})}
        ) as response,
    ):
        data = await response.read()
        # An id with "%" or "/" is not routed as the id it looks like (the server decodes and
        # normalizes the path first): only plain ids are checked against the document.
        plain = "%" not in media_id and "/" not in media_id
        if plain and response.content_type == "application/json" and response.status >= 400:
            check_against_document("GET", f"/media/{media_id}", response.status, json.loads(data))
        return response.status, data, response.headers


def media_files(server: Server) -> list[Path]:
    root = server.config.media_dir
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_an_upload_round_trips_with_its_type_and_length(
    server: Server, make_client: ClientFactory
) -> None:
    ticket = await ticket_of(server, make_client)
    body = b"%PDF-1.4\n" + os.urandom(MiB)
    status, result = await upload(server, ticket, body)
    assert status == 200, result
    assert result["size"] == len(body)
    assert result["content_type"] == "application/pdf"
    assert len(result["media_id"]) == 32
    status, data, headers = await download(server, ticket, result["media_id"])
    assert status == 200
    assert data == body
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Accept-Ranges"] == "bytes"
    node = server.node
    assert node.media.bytes_in >= len(body)
    assert node.media.bytes_out == len(body)


async def test_one_byte_and_unknown_types(server: Server, make_client: ClientFactory) -> None:
    ticket = await ticket_of(server, make_client)
    status, result = await upload(server, ticket, b"x")
    assert status == 200
    assert (result["size"], result["content_type"]) == (1, "application/octet-stream")
    assert "width" not in result
    assert (await download(server, ticket, result["media_id"]))[:2] == (200, b"x")


async def test_head_says_the_size_and_type_without_a_body(
    server: Server, make_client: ClientFactory
) -> None:
    ticket = await ticket_of(server, make_client)
    _, result = await upload(server, ticket, b"GIF89a" + bytes(20))
    async with (
        aiohttp.ClientSession() as http,
        http.head(server.http_url + f"media/{result['media_id']}", headers=auth(ticket)) as r,
    ):
        assert r.status == 200
        assert r.headers["Content-Length"] == "26"
        assert r.headers["Content-Type"] == "image/gif"
        assert await r.read() == b""


@pytest.mark.parametrize(
    ("range_header", "status", "expected", "content_range"),
    [
        ("bytes=0-9", 206, slice(0, 10), "bytes 0-9/1000"),
        ("bytes=990-", 206, slice(990, 1000), "bytes 990-999/1000"),
        ("bytes=-5", 206, slice(995, 1000), "bytes 995-999/1000"),
        ("bytes=-5000", 206, slice(0, 1000), "bytes 0-999/1000"),
        ("bytes=500-5000", 206, slice(500, 1000), "bytes 500-999/1000"),
        ("bytes=1000-", 416, None, "bytes */1000"),
        ("bytes=5-2", 400, None, None),
        ("bytes=0-1,5-6", 400, None, None),
        ("chars=0-1", 400, None, None),
    ],
)
async def test_range_requests(
    server: Server,
    make_client: ClientFactory,
    range_header: str,
    status: int,
    expected: slice | None,
    content_range: str | None,
) -> None:
    ticket = await ticket_of(server, make_client)
    body = os.urandom(1000)
    _, result = await upload(server, ticket, body)
    got, data, headers = await download(server, ticket, result["media_id"], {"Range": range_header})
    assert got == status
    if expected is not None:
        assert data == body[expected]
        assert headers["Content-Length"] == str(len(body[expected]))
    assert headers.get("Content-Range") == content_range


async def test_an_empty_upload_is_refused_with_code_2(
    server: Server, make_client: ClientFactory
) -> None:
    ticket = await ticket_of(server, make_client)
    assert await upload(server, ticket, b"") == (
        400,
        {"code": 2, "name": "RtmInvalidArgumentError", "message": "the object is empty"},
    )

    async def nothing() -> Any:
        if False:
            yield b""

    status, body = await upload(server, ticket, nothing())  # chunked, no bytes
    assert (status, body["code"]) == (400, 2)
    assert media_files(server) == []


async def test_an_upload_over_the_limit_is_refused_with_code_4_and_leaves_nothing(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_max_bytes=1000)
    ticket = await ticket_of(server, make_client)
    assert (await upload(server, ticket, bytes(1000)))[0] == 200
    status, body = await upload(server, ticket, bytes(1001))  # Content-Length says so
    assert (status, body["code"], body["name"]) == (413, 4, "RtmLimitExceededError")

    async def chunks() -> Any:  # no Content-Length: counted while streaming
        for _ in range(5):
            yield bytes(300)

    status, body = await upload(server, ticket, chunks())
    assert (status, body["code"]) == (413, 4)
    assert len(media_files(server)) == 1  # the first upload only


async def test_the_default_limit_is_30_mb(server: Server, make_client: ClientFactory) -> None:
    ticket = await ticket_of(server, make_client)
    limit = 30 * MiB
    assert server.config.media_max_bytes == limit
    body = os.urandom(limit)
    status, result = await upload(server, ticket, body)
    assert (status, result["size"]) == (200, limit)
    status, data, _ = await download(server, ticket, result["media_id"])
    assert status == 200
    assert data == body
    status, refused = await upload(server, ticket, body + b"!")
    assert (status, refused["code"]) == (413, 4)


async def test_expect_100_continue_is_refused_before_the_body(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_max_bytes=10)
    ticket = await ticket_of(server, make_client)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.http_url + "media", data=bytes(11), headers=auth(ticket), expect100=True
        ) as response,
    ):
        assert response.status == 413
        assert (await response.json())["code"] == 4
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.http_url + "media", data=bytes(10), headers=auth(ticket), expect100=True
        ) as response,
    ):
        assert response.status == 200


async def test_multipart_is_refused_with_code_2(server: Server, make_client: ClientFactory) -> None:
    ticket = await ticket_of(server, make_client)
    form = aiohttp.FormData()
    form.add_field("file", b"hello", filename="a.txt")
    status, body = await upload(server, ticket, form)
    assert (status, body["code"]) == (400, 2)
    assert "multipart" in body["message"]


async def test_no_ticket_or_a_wrong_one_is_401(server: Server, make_client: ClientFactory) -> None:
    ticket = await ticket_of(server, make_client)
    _, result = await upload(server, ticket, b"data")
    claims, _, mac = ticket.partition(".")
    forged = claims + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Basic {ticket}"},
        {"Authorization": "Bearer " + "x" * 8_000},
        {"Authorization": "Bearer é.ü"},
        {"Authorization": f"Bearer {ticket.partition('.')[0]}.é"},
    ):
        async with aiohttp.ClientSession() as http:
            async with http.post(server.http_url + "media", data=b"x", headers=headers) as r:
                assert (r.status, (await r.json())["code"]) == (401, 102), headers
                assert r.headers["WWW-Authenticate"] == "Bearer"
            async with http.get(
                server.http_url + f"media/{result['media_id']}", headers=headers
            ) as r:
                assert (r.status, (await r.json())["code"]) == (401, 102), headers


async def test_a_header_too_long_to_parse_is_400_without_a_traceback(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": "Bearer " + "x" * 10_000}
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.http_url + "media", data=b"x", headers=headers) as r,
    ):
        assert r.status == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert "xxxx" not in caplog.text  # the offending bytes (a credential?) are not logged


async def test_a_ticket_dies_with_its_session(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    await client.login("alice")
    ticket = client.media_ticket
    assert ticket is not None
    assert (await upload(server, ticket, b"x"))[0] == 200
    await client.logout()
    assert (await upload(server, ticket, b"x"))[0] == 401
    again = make_client(server)
    await again.login("alice")  # a new session of the same user: a new ticket
    assert again.media_ticket not in (None, ticket)
    assert (await upload(server, ticket, b"x"))[0] == 401
    assert (await upload(server, again.media_ticket, b"x"))[0] == 200


async def test_another_apps_media_id_does_not_exist(
    server: Server, make_client: ClientFactory
) -> None:
    mine = await ticket_of(server, make_client)
    theirs = await ticket_of(server, make_client, "alice", app_id=OTHER_APP_ID)
    _, result = await upload(server, mine, b"secret")
    status, data, _ = await download(server, theirs, result["media_id"])
    assert status == 404
    assert data == b'{"code":4,"name":"RtmInvalidArgumentError","message":"no such media object"}'
    assert (await download(server, mine, result["media_id"]))[:2] == (200, b"secret")


@pytest.mark.parametrize("media_id", ["nope", "A" * 32, "../../openrtm.sqlite3", "a" * 70])
async def test_unknown_or_malformed_ids_do_not_exist(
    server: Server, make_client: ClientFactory, media_id: str
) -> None:
    ticket = await ticket_of(server, make_client)
    status, _, _ = await download(server, ticket, media_id)
    assert status == 404


async def test_an_encoded_dot_segment_leaves_the_media_path(
    server: Server, make_client: ClientFactory
) -> None:
    # "/media/%2e%2e" is "/" once its dot segment is removed (RFC 3986 §6.2.2): the demo app's
    # page, not a media object nor a file of the store.
    ticket = await ticket_of(server, make_client)
    status, data, headers = await download(server, ticket, "%2e%2e")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert data.startswith(b"<!doctype html>")


async def test_an_expired_object_does_not_exist_and_is_purged(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_retention=unit(0.5), media_purge_interval=unit(0.2))
    ticket = await ticket_of(server, make_client)
    _, result = await upload(server, ticket, b"short-lived")
    assert len(media_files(server)) == 1
    await until(lambda: not media_files(server))  # the sweeper removed the file
    status, data, _ = await download(server, ticket, result["media_id"])
    assert (status, data[:9]) == (404, b'{"code":4')


async def test_ten_concurrent_transfers_the_tenth_refused_with_code_5(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server()
    ticket = await ticket_of(server, make_client)
    release = asyncio.Event()
    started = 0

    async def slow_body() -> Any:
        nonlocal started
        started += 1
        yield b"first"
        await release.wait()
        yield b"last"

    uploads = [asyncio.create_task(upload(server, ticket, slow_body())) for _ in range(9)]
    await until(lambda: server.node.media._transfers.get(_session_id(server)) == 9)
    status, body = await upload(server, ticket, b"tenth")
    assert (status, body["code"], body["name"]) == (429, 5, "RtmLimitExceededError")
    _, done = await upload(server, await ticket_of(server, make_client, "bob"), b"bob's")
    assert done["size"] == 5  # another session's slots are its own
    release.set()
    results = await asyncio.gather(*uploads)
    assert all(status == 200 for status, _ in results)
    assert (await upload(server, ticket, b"again"))[0] == 200
    assert server.node.media._transfers == {}


def _session_id(server: Server) -> str:
    session = server.node.hub.user("0123456789abcdef0123456789abcdef", "alice")
    assert session is not None
    return session.session_id


async def test_a_stalled_upload_is_abandoned_and_leaves_nothing(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_stall_timeout=unit(0.5))
    ticket = await ticket_of(server, make_client)
    never = asyncio.Event()

    async def stalls() -> Any:
        yield b"some bytes"
        await never.wait()

    task = asyncio.create_task(upload(server, ticket, stalls()))
    await until(lambda: server.node.media._transfers)
    await until(lambda: not server.node.media._transfers, timeout=unit(5))
    task.cancel()
    assert media_files(server) == []  # not even a temporary file


async def test_a_cut_upload_leaves_nothing(server: Server, make_client: ClientFactory) -> None:
    ticket = await ticket_of(server, make_client)
    host, port = server.config.host, server.http.port
    _, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + ticket.encode()
        + b"\r\nContent-Length: 100000\r\n\r\n"
        + bytes(5000)
    )
    await writer.drain()
    await until(lambda: server.node.media.bytes_in >= 5000)
    writer.close()
    await until(lambda: not server.node.media._transfers)
    assert media_files(server) == []
    ticket2 = await ticket_of(server, make_client, "bob")
    assert (await upload(server, ticket2, b"fine"))[0] == 200


async def test_a_restart_removes_leftovers_and_keeps_objects(
    start_server: ServerFactory, make_client: ClientFactory, tmp_path: Path
) -> None:
    data = tmp_path / "shared-data"
    server = await start_server(data_dir=data)
    ticket = await ticket_of(server, make_client)
    _, kept = await upload(server, ticket, b"keep me")
    await server.stop()
    media = data / "media"
    (media / "tmp" / "abc.part").write_bytes(b"half an upload")
    orphan = media / "0123456789abcdef0123456789abcdef" / ("o" * 32)
    orphan.write_bytes(b"renamed, never recorded")
    again = await start_server(data_dir=data)
    assert [p.name for p in media_files(again)] == [kept["media_id"]]
    ticket = await ticket_of(again, make_client, "carol")
    assert (await download(again, ticket, kept["media_id"]))[:2] == (200, b"keep me")


async def test_a_download_whose_reader_stops_reading_is_abandoned(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_stall_timeout=unit(0.5))
    ticket = await ticket_of(server, make_client)
    _, result = await upload(server, ticket, os.urandom(30 * MiB))
    reader, writer = await asyncio.open_connection(server.config.host, server.http.port)
    writer.write(
        f"GET /media/{result['media_id']} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {ticket}\r\n\r\n".encode()
    )
    await writer.drain()
    media = server.node.media
    await until(lambda: media._transfers)  # sending, until the socket buffers are full
    await until(lambda: not media._transfers, timeout=unit(10))  # then given up
    assert media.bytes_out < 30 * MiB
    received = 0
    while chunk := await asyncio.wait_for(reader.read(1 << 20), unit(5)):
        received += len(chunk)
    assert received < 30 * MiB  # the connection ended short of Content-Length
    writer.close()


def test_the_media_settings_come_from_toml() -> None:
    from openrtm.server import ServerConfig

    config = ServerConfig.from_mapping(
        {"media_max_bytes": 1000, "media_retention": 60, "media_stall_timeout": 5}
    )
    assert (config.media_max_bytes, config.media_retention, config.media_stall_timeout) == (
        1000,
        60.0,
        5.0,
    )
    assert config.media_dir == config.data_dir / "media"


async def test_a_store_failure_is_503_with_code_1_and_keeps_nothing(
    server: Server, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = await ticket_of(server, make_client)
    await server.node.store.close()  # the database is gone (what a disk failure looks like)
    status, body = await upload(server, ticket, b"lost")
    assert (status, body["code"], body["name"]) == (503, 1, "RtmUnavailableError")
    assert media_files(server) == []
    assert not [r for r in caplog.records if r.exc_info]  # one line, no traceback
