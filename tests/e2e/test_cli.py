"""The command line as a user runs it: ``openrtm serve`` in a subprocess, ``openrtm token``."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

import openrtm
from openrtm.protocol.tokens import verify_token
from tests.conftest import APP_CERT, APP_ID, Recorder, unit

URL = re.compile(rb"serving WebSocket (ws://\S+)")


class ServeProcess:
    def __init__(self, proc: asyncio.subprocess.Process, url: str, banner: bytes) -> None:
        self.proc = proc
        self.url = url
        self.banner = banner

    async def stop(self, sig: int) -> tuple[int, bytes, bytes]:
        self.proc.send_signal(sig)
        out, err = await asyncio.wait_for(self.proc.communicate(), unit(15))
        assert self.proc.returncode is not None
        return self.proc.returncode, out, err


async def serve(*args: str) -> ServeProcess:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openrtm",
        "serve",
        "--port",
        "0",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    banner = await asyncio.wait_for(proc.stdout.readline(), unit(15))
    match = URL.search(banner)
    if match is None:
        proc.kill()
        _, err = await proc.communicate()
        raise AssertionError(f"no URL in {banner!r}; stderr: {err.decode()}")
    return ServeProcess(proc, match.group(1).decode(), banner)


@pytest.fixture
async def dev_server(tmp_path: Path) -> AsyncIterator[ServeProcess]:
    process = await serve("--data", str(tmp_path / "data"))
    yield process
    if process.proc.returncode is None:
        process.proc.kill()
        await process.proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_serve_prints_its_url_and_stops_gracefully(
    dev_server: ServeProcess, sig: int, tmp_path: Path
) -> None:
    client = openrtm.create_instance(APP_ID, server=dev_server.url)
    events = Recorder(client, "ConnectionStateChanged")
    await client.login("alice")
    code, out, err = await dev_server.stop(sig)
    assert code == 0
    assert b"openrtm stopped" in out
    assert b"development mode" in err
    # Nothing logged per connection at the default level (picows would, at INFO).
    assert b"picows" not in err, err
    # 1001 GOING_AWAY: the SDK keeps its login and retries (design §3).
    assert await events.wait_for("ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
    await client.logout()
    assert (tmp_path / "data" / "openrtm.sqlite3").exists()


async def test_serve_prints_the_http_urls_and_they_answer(dev_server: ServeProcess) -> None:
    stdout = dev_server.proc.stdout
    assert stdout is not None
    urls: dict[str, str] = {}
    while True:
        line = (await asyncio.wait_for(stdout.readline(), unit(15))).decode().strip()
        if line.startswith("data: "):
            break  # the last line of the start banner
        what, _, url = line.partition(": ")
        urls[what] = url
    http = urls["health"].removesuffix("healthz")
    assert urls == {
        "health": http + "healthz",
        "readiness": http + "readyz",
        "REST API": http + "dev/v2/project/{appid}/",
        "OpenAPI": http + "openapi.json",
        "media": http + "media",
        "metrics": http + "metrics",
        "browser SDK": http + "sdk/agora-rtm-sdk.js",
        "demo app": http,
    }
    client = openrtm.create_instance(APP_ID, server=dev_server.url)
    await client.login("alice")
    assert client.http_url == http  # the SDK is told the same URL at login
    async with aiohttp.ClientSession() as session:
        for what, body in (("health", {"status": "ok"}), ("readiness", {"status": "ready"})):
            async with session.get(urls[what]) as response:
                assert (response.status, await response.json()) == (200, body)
        async with session.get(urls["OpenAPI"]) as response:
            assert (response.status, (await response.json())["openapi"]) == (200, "3.1.0")
        async with session.post(urls["media"], data=b"x") as response:
            assert response.status == 401  # served there; a login's media ticket is needed
        async with session.get(urls["demo app"]) as response:
            assert (response.status, response.content_type) == (200, "text/html")
            assert '<script src="/sdk/agora-rtm-sdk.js">' in await response.text()
        async with session.get(urls["metrics"]) as response:
            assert response.status == 200
            families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    assert [s.value for s in families["openrtm_logins"].samples] == [1]
    assert [s.value for s in families["openrtm_connections"].samples] == [1]
    await client.logout()
    code, _, _ = await dev_server.stop(signal.SIGTERM)
    assert code == 0


async def test_serve_with_a_certificate_requires_tokens(tmp_path: Path) -> None:
    process = await serve("--data", str(tmp_path), "--app", f"{APP_ID}:{APP_CERT}")
    try:
        client = openrtm.create_instance(APP_ID, server=process.url)
        with pytest.raises(openrtm.RtmUnauthenticatedError) as info:
            await client.login("alice")
        assert info.value.code == 5
        token = _token_cli("--uid", "alice")
        await asyncio.sleep(unit(0.5))
        await client.login("alice", token)
        assert client.connection_state == "CONNECTED"
        await client.logout()
    finally:
        code, _, err = await process.stop(signal.SIGTERM)
    assert code == 0
    assert b"development mode" not in err


async def test_serve_with_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "openrtm.toml"
    config.write_text(f'data = "{tmp_path / "d"}"\n[[app]]\nid = "{APP_ID}"\n')
    process = await serve("--config", str(config))
    try:
        client = openrtm.create_instance(APP_ID, server=process.url)
        await client.login("alice")  # App ID only: no token needed
        await client.logout()
    finally:
        await process.stop(signal.SIGTERM)
    assert (tmp_path / "d" / "openrtm.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "nope"], b"invalid App ID"),
        (["--config", "/nonexistent.toml"], b"cannot read config file"),
    ],
)
def test_serve_refuses_bad_settings(args: list[str], message: bytes) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openrtm", "serve", "--port", "0", *args],
        capture_output=True,
        timeout=unit(15),
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr


def test_serve_reports_a_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "openrtm",
                "serve",
                "--port",
                str(port),
                "--data",
                str(tmp_path),
            ],
            capture_output=True,
            timeout=unit(15),
            check=False,
        )
    assert done.returncode == 1
    assert b"openrtm serve:" in done.stderr


def _token_cli(*args: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openrtm",
            "token",
            "--app-id",
            APP_ID,
            "--app-certificate",
            APP_CERT,
            *args,
        ],
        capture_output=True,
        timeout=unit(15),
        check=True,
    )
    return done.stdout.decode().strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["007", "006"])
def test_token_prints_a_verifiable_token_on_its_last_line(fmt: str) -> None:
    token = _token_cli("--uid", "alice", "--expire", "600", "--format", fmt)
    verified = verify_token(
        token, app_id=APP_ID, app_certificate=APP_CERT, uid="alice", now=int(time.time())
    )
    assert verified.format == fmt
    if fmt == "007":
        assert verified.deadline - verified.issued_at == 600


def test_token_refuses_a_malformed_app_id() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openrtm",
            "token",
            "--app-id",
            "x",
            "--app-certificate",
            APP_CERT,
            "--uid",
            "alice",
        ],
        capture_output=True,
        timeout=unit(15),
        check=False,
    )
    assert done.returncode == 2
    assert b"openrtm token:" in done.stderr
