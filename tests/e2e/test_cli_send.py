"""``openrtm send`` as a script runs it: a subprocess against a real server and real SDKs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrtm.protocol.tokens import build_token
from openrtm.server import AppSpec, Server
from tests.conftest import (
    APP_CERT,
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
)
from tests.e2e.test_cli import serve
from tests.server.http.conftest import CUSTOMER_ID, CUSTOMER_SECRET, REST_CREDENTIALS

CREDENTIALS = f"{CUSTOMER_ID}:{CUSTOMER_SECRET}"
PEER = "MessageFromPeer"


async def send(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``openrtm send ARGS``; (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openrtm",
        "send",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), unit(30))
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def rest_server(start_server: ServerFactory) -> Server:
    return await start_server(
        apps=(AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)),
        rest_credentials=REST_CREDENTIALS,
    )


def base(server: Server, app_id: str = APP_ID) -> list[str]:
    return ["--url", server.http_url, "--app-id", app_id, "--from", "alice"]


def token(uid: str) -> str:
    return build_token(APP_ID, APP_CERT, uid, expire=600, now=int(time.time()))


async def test_send_a_peer_message_with_credentials_and_with_a_token(
    rest_server: Server, make_client: ClientFactory
) -> None:
    bob = make_client(rest_server)
    await bob.login("bob", token("bob"))
    inbox = Recorder(bob, PEER)
    code, out, err = await send(
        *base(rest_server), "--to", "bob", "--credentials", CREDENTIALS, "hi"
    )
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert (answer["result"], answer["code"]) == ("success", "message_sent")
    message, peer_id, _ = await inbox.wait_for(PEER)
    assert (message.text, peer_id) == ("hi", "alice")
    code, out, _ = await send(
        *base(rest_server), "--to", "bob", "--token", token("alice"), "--wait-for-ack", "ack me"
    )
    assert (code, json.loads(out)["code"]) == (0, "message_delivered")
    assert (await inbox.wait_for(PEER))[0].text == "ack me"


async def test_credentials_from_the_environment(
    rest_server: Server, make_client: ClientFactory
) -> None:
    carol = make_client(rest_server)
    await carol.login("carol", token("carol"))
    channel = carol.create_channel("room")
    heard = Recorder(channel, "ChannelMessage")  # type: ignore[arg-type]
    await channel.join()
    env = {"OPENRTM_REST_CREDENTIALS": CREDENTIALS, "OPENRTM_HTTP": rest_server.http_url}
    code, out, _ = await send(
        "--app-id", APP_ID, "--from", "alice", "--channel", "room", "all", env=env
    )
    assert (code, json.loads(out)["code"]) == (0, "message_sent")
    message, member_id, _ = await heard.wait_for("ChannelMessage")
    assert (message.text, member_id) == ("all", "alice")


async def test_send_offline_then_the_peer_logs_in(
    rest_server: Server, make_client: ClientFactory
) -> None:
    args = [*base(rest_server, OTHER_APP_ID), "--to", "dave"]  # App ID only: the uid alone
    code, out, err = await send(*args, "--offline", "--history", "stored")
    assert (code, json.loads(out)["code"], err) == (0, "message_offline", "")
    code, out, err = await send(*args, "lost")
    assert code == 1
    assert json.loads(out) == {**json.loads(out), "result": "failed", "code": "peer_offline"}
    assert err == "openrtm send: not sent: peer_offline\n"
    dave = make_client(rest_server, app_id=OTHER_APP_ID)
    inbox = Recorder(dave, PEER)
    await dave.login("dave")
    message, _, props = await inbox.wait_for(PEER)
    assert (message.text, props.is_offline_message) == ("stored", True)


@pytest.mark.parametrize(
    ("extra", "status", "error"),
    [
        (["--to", "bob", "--credentials", "customer-1:wrong"], 1, r"HTTP 401 unauthorized: "),
        (["--to", "bob", "--token", "007garbage"], 1, r"HTTP 401 unauthorized: invalid token"),
        (["--to", "bob"], 1, r"HTTP 401 unauthorized: a token is required"),
        (["--to", "bob b!*", "--credentials", CREDENTIALS], 1, r"HTTP 400 bad_request: invalid"),
        (["--channel", "room", "--offline", "--credentials", CREDENTIALS], 2, r"peer messages"),
        (["--to", "bob", "--credentials", "nocolon"], 2, r"ID:SECRET"),
    ],
)
async def test_refusals_are_one_line_and_non_zero(
    rest_server: Server, extra: list[str], status: int, error: str
) -> None:
    code, out, err = await send(*base(rest_server), *extra, "text")
    assert code == status
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("openrtm send: ")
    assert re.search(error, err), err


async def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = await send(
        "--url", f"http://127.0.0.1:{port}/", "--app-id", APP_ID, "--from", "a", "--to", "b", "x"
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"openrtm send: cannot reach http://127.0.0.1:{port}/")
    assert err.count("\n") == 1


async def test_serve_with_rest_credentials_then_send(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    process = await serve("--data", str(tmp_path), "--rest-credentials", CREDENTIALS)
    try:
        banner = b""
        while b"OpenAPI" not in banner:
            banner += await asyncio.wait_for(process.proc.stdout.readline(), unit(15))  # type: ignore[union-attr]
        match = re.search(rb"REST API: (http://\S+)/dev/v2/project/\{appid\}/", banner)
        assert match is not None, banner
        url = match.group(1).decode() + "/"
        code, out, _ = await send(
            "--url", url, "--app-id", APP_ID, "--from", "a", "--channel", "c",
            "--credentials", CREDENTIALS, "hello",
        )  # fmt: skip
        assert (code, json.loads(out)["code"]) == (0, "message_sent")
        code, _, err = await send(
            "--url", url, "--app-id", APP_ID, "--from", "a", "--channel", "c",
            "--credentials", f"{CUSTOMER_ID}:nope", "hello",
        )  # fmt: skip
        assert code == 1
        assert "401" in err
    finally:
        code, _, err = await process.stop(signal.SIGTERM)
    assert code == 0
    assert CUSTOMER_SECRET.encode() not in err
