"""python-socketio on aiohttp + uvloop: what a Python developer would likely pick instead.

The same two features as the other systems, the idiomatic socket.io way:

- fan-out with rooms: ``join(room)`` (acknowledged) enters a room; ``pub(data)`` is emitted to
  the room as event ``m``, skipping the sender;
- peer-to-peer with emit-with-ack: ``p2p(to, data)`` is forwarded to user ``to`` with
  ``sio.call`` (an emit that waits for the receiver's ack), and the sender's own ack is sent
  when the receiver's arrives: an end-to-end receipt like openrtm's.

A client names itself in the namespace connect packet: ``40{"uid":"alice"}``. WebSocket
transport only (no long-polling), no logging.

Usage: ``python -m bench.servers.socketio_server --port PORT``
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import socketio
import uvloop
from aiohttp import web


def build() -> tuple[socketio.AsyncServer, web.Application]:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        transports=["websocket"],
        logger=False,
        engineio_logger=False,
    )
    app = web.Application()
    sio.attach(app)
    sids: dict[str, str] = {}  # uid → sid
    uids: dict[str, str] = {}  # sid → uid

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> bool:
        if not isinstance(auth, dict) or not isinstance(auth.get("uid"), str):
            return False
        sids[auth["uid"]] = sid
        uids[sid] = auth["uid"]
        return True

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        uid = uids.pop(sid, None)
        if uid is not None and sids.get(uid) == sid:
            del sids[uid]

    @sio.event
    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "ok"

    @sio.event
    async def pub(sid: str, room: str, data: str) -> None:
        await sio.emit("m", data, room=room, skip_sid=sid)

    @sio.event
    async def p2p(sid: str, to: str, data: str) -> bool:
        target = sids.get(to)
        if target is None:
            return False
        try:
            await sio.call("m", data, to=target, timeout=5)
        except socketio.exceptions.TimeoutError:
            return False
        return True

    return sio, app


async def serve(port: int) -> None:
    _, app = build()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"python-socketio serving http://127.0.0.1:{port}/socket.io/", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
