"""A server killed with kill -9 during an upload (spec §5.2; issue 13): nothing of the cut
upload survives, and what was uploaded before is still served after the restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import aiohttp

import openrtm
from tests.conftest import APP_ID, unit, until
from tests.e2e.test_restart import serve


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


async def test_kill_9_mid_upload_leaves_nothing_a_download_could_return(
    tmp_path: Path,
) -> None:
    proc, url = await serve(tmp_path)
    alice = openrtm.create_instance(APP_ID, server=url)
    try:
        await alice.login("alice")
        kept = await alice.create_media_message_by_uploading(b"uploaded before the crash")
        assert alice.http_url is not None
        assert alice.media_ticket is not None
        host, port = alice.http_url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice.media_ticket}\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n".encode()
            + bytes(1024 * 1024)
        )
        await writer.drain()
        temp = tmp_path / "media" / "tmp"
        # The server is writing the upload: part of it is on disk.
        await until(lambda: any(p.stat().st_size > 0 for p in temp.iterdir()), timeout=unit(10))
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        writer.close()
        assert len(list(temp.iterdir())) == 1  # the half-written temporary file
    finally:
        await alice.logout()
    proc, url = await serve(tmp_path)
    try:
        assert list((tmp_path / "media" / "tmp").iterdir()) == []
        assert [p.name for p in files_under(tmp_path / "media")] == [kept.media_id]
        db = sqlite3.connect(tmp_path / "openrtm.sqlite3")
        try:
            assert db.execute("SELECT media_id FROM media").fetchall() == [(kept.media_id,)]
        finally:
            db.close()
        bob = openrtm.create_instance(APP_ID, server=url)
        await bob.login("bob")
        try:
            assert kept.media_id is not None
            assert await bob.download_media(kept.media_id) == b"uploaded before the crash"
        finally:
            await bob.logout()
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def test_the_serve_command_lists_the_media_url(tmp_path: Path) -> None:
    proc, _url = await serve(tmp_path)
    try:
        assert proc.stdout is not None
        # The banner's URL lines come before the "data:" line, which ends them.
        lines: list[bytes] = []
        while not lines or not lines[-1].startswith(b"data: "):
            lines.append(await asyncio.wait_for(proc.stdout.readline(), unit(5)))
        media = [line for line in lines if line.startswith(b"media: ")]
        assert len(media) == 1
        media_url = media[0].split()[1].decode()
        assert media_url.endswith("/media")
        async with aiohttp.ClientSession() as http, http.post(media_url, data=b"x") as response:
            assert response.status == 401  # served there, and a ticket is needed
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
