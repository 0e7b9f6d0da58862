"""A server killed with kill -9 and restarted: clients come back by themselves (issue #5).

They were in a channel and followed each other; after the restart on the same address they
are CONNECTED again, still in their channel, and messages flow (spec §3.2: the SDK re-joins,
re-subscribes and re-writes its attributes when the server lost its session).
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import openrtm
from tests.conftest import APP_ID, Recorder, unit

URL = re.compile(rb"serving WebSocket (ws://\S+)")
STATES = "ConnectionStateChanged"


async def serve(data: Path, port: int = 0) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openrtm", "serve", "--port", str(port), "--data", str(data),
        "--http-port", "0",  # port + 1 may be anyone's by the restart
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), unit(15))
    match = URL.search(line)
    assert match, line
    return proc, match.group(1).decode()


async def test_clients_come_back_into_their_channels_after_kill_9(tmp_path: Path) -> None:
    proc, url = await serve(tmp_path)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    config = {"reconnect_backoff_max": unit(0.3), "connect_timeout": unit(1)}
    alice = openrtm.create_instance(APP_ID, config, server=url)
    bob = openrtm.create_instance(APP_ID, config, server=url)
    try:
        await alice.login("alice")
        await bob.login("bob")
        await alice.set_local_user_attributes({"k": "v"})
        alice_room, bob_room = alice.create_channel("room"), bob.create_channel("room")
        await alice_room.join()
        await bob_room.join()
        alice_states, bob_states = Recorder(alice, STATES), Recorder(bob, STATES)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await alice_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        await bob_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        proc, _ = await serve(tmp_path, port)
        await alice_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(15))
        await bob_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(15))
        assert alice_room.joined
        assert bob_room.joined
        heard = Recorder(alice_room, "ChannelMessage")  # type: ignore[arg-type]
        await bob_room.send_message("still here?")
        message, member, _ = await heard.wait_for("ChannelMessage")
        assert (message.text, member) == ("still here?", "bob")
        assert sorted(await bob_room.get_members()) == ["alice", "bob"]
        assert await bob.get_user_attributes("alice") == {"k": "v"}
    finally:
        for client in (alice, bob):
            if client.connection_state != "DISCONNECTED":
                await client.logout()
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
