"""Private ``redis-server`` processes for the tests (issue #15): never the machine's own Redis.

Each :class:`RedisServer` runs Debian's ``redis-server`` on a free port of 127.0.0.1, with its
data directory under the test's temporary folder, and can be stopped, killed (``SIGKILL``) and
started again on the same port and data (for persistence and outage tests). Without
``redis-server`` the tests that need it skip and say why; in CI (``CI`` set) they fail instead,
since ``.ci/run`` installs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from pathlib import Path

import pytest

REDIS_SERVER = os.environ.get("OPENRTM_REDIS_SERVER", "redis-server")


def require_redis_server() -> str:
    """The path of ``redis-server``; skip the test without it (fail in CI)."""
    path = shutil.which(REDIS_SERVER)
    if path is None:
        reason = f"no {REDIS_SERVER} on PATH (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One private ``redis-server``: ``await start()``, ``url``, ``stop()``, ``kill()``.

    ``appendonly`` turns on the append-only file with ``appendfsync always``: what a
    deployment that must lose nothing acknowledged runs (docs/deployment.md), and what the
    kill -9 tests of the server need from Redis itself.
    """

    def __init__(
        self, data_dir: Path, *, appendonly: bool = True, extra: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self._appendonly = appendonly
        self._extra = extra
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def arguments(self) -> list[str]:
        """The command line: no config file, nothing shared with another Redis."""
        args = [
            require_redis_server(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        if self._appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        return args + list(self._extra)

    async def start(self, timeout: float = 10.0) -> RedisServer:
        """Start it (again, on the same port and data) and wait until it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            *self.arguments(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await self.ping():
            if self._process.returncode is not None:
                log = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited ({self._process.returncode}): {log}")
            if loop.time() > deadline:
                raise TimeoutError(f"redis-server on port {self.port} did not answer PING")
            await asyncio.sleep(0.02)
        return self

    async def ping(self) -> bool:
        """Whether it answers ``PING`` now (a raw RESP exchange: no client library needed)."""
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return await asyncio.wait_for(reader.readline(), 1.0) == b"+PONG\r\n"
        except (TimeoutError, OSError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def stop(self) -> None:
        """Stop it as an operator would (SIGTERM: it writes its data and exits)."""
        await self._end(signal.SIGTERM)

    async def kill(self) -> None:
        """Kill it at once (SIGKILL): only what it had written to its files survives."""
        await self._end(signal.SIGKILL)

    async def _end(self, sig: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
