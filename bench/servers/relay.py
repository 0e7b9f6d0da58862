"""A bare relay on picows + uvloop: the ceiling of openrtm's transport, with no protocol logic.

A client names itself in the upgrade path: ``/ID`` registers it as peer ``ID``, and
``/ID/ROOM`` also makes it a member of room ``ROOM``. After that every text frame is
``TARGET SP REST``, forwarded unchanged, frame by frame with ``transport.send``:

- ``TARGET`` = ``#ROOM``: to every member of the room but the sender (fan-out);
- otherwise: to the peer named ``TARGET`` (peer-to-peer; the receiver's ack goes back the
  same way, addressed to the sender).

Frames to unknown targets are dropped. There is no login, no reply, no validation.

Usage: ``python -m bench.servers.relay --port PORT``
"""

from __future__ import annotations

import argparse

import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

# TARGET → the connections it reaches: one for a peer id, the members for "#room".
Routes = dict[bytes, list[WSTransport]]

_TEXT = WSMsgType.TEXT


class _Relay(WSListener):
    __slots__ = ("_keys", "_routes")

    def __init__(self, routes: Routes, keys: tuple[bytes, ...]) -> None:
        self._routes = routes
        self._keys = keys

    def on_ws_connected(self, transport: WSTransport) -> None:
        for key in self._keys:
            self._routes.setdefault(key, []).append(transport)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not _TEXT:
            if frame.msg_type is WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            return
        data = frame.get_payload_as_bytes()
        targets = self._routes.get(data[: data.find(b" ")])
        if targets is not None:
            for target in targets:
                if target is not transport:
                    target.send(_TEXT, data)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        for key in self._keys:
            members = self._routes.get(key)
            if members is not None and transport in members:
                members.remove(transport)
                if not members:
                    del self._routes[key]


async def serve(port: int) -> None:
    routes: Routes = {}

    def factory(request: WSUpgradeRequest) -> WSListener | None:
        parts = request.path.split(b"?", 1)[0].strip(b"/").split(b"/")
        if not parts[0] or len(parts) > 2:
            return None
        keys = (parts[0],) if len(parts) == 1 else (parts[0], b"#" + parts[1])
        return _Relay(routes, keys)

    server = await ws_create_server(factory, "127.0.0.1", port)
    print(f"relay serving ws://127.0.0.1:{port}/", flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
