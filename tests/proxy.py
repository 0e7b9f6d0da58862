"""A small TCP proxy for cutting real links in tests (issue #5: no mocked methods).

``pause()`` stops forwarding in both directions while keeping every socket open: to both
ends the link looks alive but silent, as a half-open TCP connection does. ``resume()``
forwards again; ``drop()`` closes every connection, as a lost link does. ``refuse()`` turns
new connections away at once until ``accept()``: the network is down, retries fail fast.
``freeze()`` silences only the connections open now, closes included, while new ones flow:
the old link died without either end hearing of it, and the client has a new one.
``throttle(seconds)`` waits that long before forwarding each read (at most 64 KiB): a slow
link, for transfers that must last a while. ``retarget(port)`` sends new connections to another
port: a load balancer that moved a client to another node (issue #15).
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target_port`` on 127.0.0.1."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._paused = False
        self._gates: set[asyncio.Event] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._accepting = True
        self._tasks: set[asyncio.Task[None]] = set()
        self._delay = 0.0

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    def pause(self) -> None:
        self._paused = True
        for gate in self._gates:
            gate.clear()

    def resume(self) -> None:
        self._paused = False
        for gate in self._gates:
            gate.set()

    def freeze(self) -> None:
        for gate in self._gates:
            gate.clear()

    def throttle(self, seconds: float) -> None:
        self._delay = seconds

    def retarget(self, port: int) -> None:
        self._target_port = port

    def refuse(self) -> None:
        self._accepting = False

    def accept(self) -> None:
        self._accepting = True

    def drop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.resume()
        self.drop()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._accepting:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        gate = asyncio.Event()
        if not self._paused:
            gate.set()
        self._gates.add(gate)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pump(source, sink, gate))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while True:
                data = await source.read(65536)
                if not data:
                    break
                await gate.wait()
                if self._delay:
                    await asyncio.sleep(self._delay)
                sink.write(data)
                await sink.drain()
            await gate.wait()  # a silenced link does not pass its close on either
        sink.transport.abort()
        self._writers.discard(sink)
