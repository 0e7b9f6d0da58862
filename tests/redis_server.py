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
import random
import shutil
import signal
import socket
import subprocess
import time
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


def require_redis_cli() -> str:
    """The path of ``redis-cli`` (for ``--cluster create``); skip without it (fail in CI)."""
    path = shutil.which(REDIS_CLI)
    if path is None:
        reason = f"no {REDIS_CLI} on PATH (apt-get install redis-tools)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


REDIS_CLI = os.environ.get("OPENRTM_REDIS_CLI", "redis-cli")

# Redis Cluster's bus listens on port + 10000. Ports are drawn below the kernel's ephemeral
# range (32768+ on Linux) with their bus port too, so that neither collides with a client
# socket's port; each is checked free before use.
_CLUSTER_PORTS = (10000, 22000)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port(taken: set[int]) -> int:
    """A port whose cluster bus port (+10000) is free as well, not in ``taken``."""
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(*_CLUSTER_PORTS)
        if port in taken or port + 10000 in taken:
            continue
        if _bindable(port) and _bindable(port + 10000):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


class RedisClusterServers:
    """A private 3-master Redis Cluster (issue #15 item 5): ``start()``, ``urls``, ``close()``.

    Each master is a ``redis-server --cluster-enabled yes`` on a free port of 127.0.0.1 (its
    bus port free too), with its own data folder and cluster config file; ``redis-cli
    --cluster create ... --cluster-replicas 0`` spreads the 16384 slots over them, and
    :meth:`start` returns once every master says ``cluster_state:ok``. Synchronous (plain
    processes), so that one cluster can serve a whole session, across event loops.
    """

    def __init__(self, data_dir: Path, masters: int = 3, *, appendonly: bool = True) -> None:
        self.data_dir = data_dir
        ports: set[int] = set()
        self.servers: list[RedisServer] = []
        for i in range(masters):
            server = RedisServer(
                data_dir / f"m{i}",
                appendonly=appendonly,
                extra=("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                       "--cluster-node-timeout", "5000"),
            )  # fmt: skip
            server.port = free_cluster_port(ports)
            ports.update((server.port, server.port + 10000))
            self.servers.append(server)
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def ports(self) -> list[int]:
        return [server.port for server in self.servers]

    @property
    def urls(self) -> list[str]:
        """The seed nodes' URLs (no database number: a cluster has only database 0)."""
        return [f"redis://127.0.0.1:{port}" for port in self.ports]

    def start(self, timeout: float = 30.0) -> RedisClusterServers:
        require_redis_server()
        cli = require_redis_cli()
        try:
            for server in self.servers:
                server.data_dir.mkdir(parents=True, exist_ok=True)
                self._processes.append(
                    subprocess.Popen(
                        server.arguments(),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            deadline = time.monotonic() + timeout
            for server, process in zip(self.servers, self._processes, strict=True):
                while self.command(server.port, "PING") != "PONG":
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server on port {server.port} did not start")
                    time.sleep(0.02)
            created = subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                 "--cluster-replicas", "0", "--cluster-yes"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )  # fmt: skip
            if created.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout!r}")
            while not self.ok():
                if time.monotonic() > deadline:
                    raise TimeoutError("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.05)
        except BaseException:
            self.close()
            raise
        return self

    def ok(self) -> bool:
        """Whether every master says ``cluster_state:ok``."""
        return all("cluster_state:ok" in self.command(p, "CLUSTER", "INFO") for p in self.ports)

    @staticmethod
    def command(port: int, *args: str) -> str:
        """One inline command on a fresh connection; its reply as text ("" if unreachable)."""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                conn.sendall(" ".join(args).encode() + b"\r\n")
                head = conn.recv(65536)
                if head.startswith(b"$"):  # a bulk string: read all of it
                    size = int(head[1 : head.index(b"\r\n")])
                    while len(head) < head.index(b"\r\n") + 2 + size:
                        head += conn.recv(65536)
                    start = head.index(b"\r\n") + 2
                    return head[start : start + size].decode()
                return head.decode().strip().lstrip("+")
        except OSError:
            return ""

    def close(self) -> None:
        """Kill every master (SIGKILL: the tests need nothing it holds afterwards)."""
        for process in self._processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        self._processes = []
