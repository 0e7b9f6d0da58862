"""Several ``openrtm serve`` processes on one private Redis (issue #15): the multi-node harness.

A :class:`Cluster` starts a private ``redis-server`` (the command line of
:class:`tests.redis_server.RedisServer`: a free port, its data under the test's folder, AOF with
fsync always) and N real ``python -m openrtm serve --redis URL`` processes on free ports, each
with its own data folder and all with one shared media folder (docs/deployment.md). A node's
WebSocket and HTTP URLs are read from the banner it prints; its stderr goes to a log file that
tests read (no traceback may appear there). With ``redis_cluster`` (a
:class:`tests.redis_server.RedisClusterServers`, started and owned by the caller) the nodes run
``--redis-cluster`` with its masters as seeds instead, and no Redis of their own.

Processes are plain :class:`subprocess.Popen` objects, not asyncio ones, so that one cluster can
outlive a test's event loop (the session-scoped ``cluster`` fixture); waits that a test makes
are bounded by :func:`tests.conftest.unit`.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import unit
from tests.redis_server import RedisClusterServers, RedisServer

__all__ = ["Cluster", "ClusterNode", "ClusterRedis"]

_WS_URL = re.compile(r"serving WebSocket (ws://\S+)")
_HTTP_URL = re.compile(r"^health: (http://\S+)healthz$")


def _wait(process: subprocess.Popen[bytes], timeout: float) -> None:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ClusterRedis:
    """The private ``redis-server`` of a cluster: ``kill()``, ``stop()`` and ``start()`` again
    on the same port and data (an outage)."""

    def __init__(self, data_dir: Path, extra: tuple[str, ...] = ()) -> None:
        self._spec = RedisServer(data_dir, extra=extra)
        self.data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self._spec.url

    @property
    def port(self) -> int:
        return self._spec.port

    def start(self) -> ClusterRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self._spec.arguments(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + unit(10)
        while not self.ping():
            if self._process.poll() is not None:
                log = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited ({self._process.returncode}): {log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server on port {self.port} did not answer PING")
            time.sleep(0.02)
        return self

    def command(self, *args: str, password: str | None = None) -> Any:
        """Run one command on a fresh connection (redis-py, synchronous) and return its reply."""
        import redis

        client = redis.Redis(
            port=self.port, password=password, socket_timeout=unit(5), decode_responses=True
        )
        try:
            return client.execute_command(*args)  # type: ignore[no-untyped-call]
        finally:
            client.close()

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.command("PING"))
        except redis.AuthenticationError:
            return True  # up, with a password (--requirepass)
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            _wait(process, unit(10))


class ClusterNode:
    """One ``openrtm serve --redis`` process: its URLs, its log, kill -9 and restart.

    Attributes:
        name: ``node0``, ``node1``, ... (also its ``--node-id``).
        url: the WebSocket URL clients connect to.
        http_url: the HTTP face's base URL (REST API, media, health), ending with ``/``.
    """

    def __init__(self, cluster: Cluster, index: int) -> None:
        self.cluster = cluster
        self.name = f"node{index}"
        self.data_dir = cluster.root / self.name
        self.log_path = cluster.root / f"{self.name}.log"
        self.url = ""
        self.http_url = ""
        self.port = 0
        self.http_port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def arguments(self) -> list[str]:
        cluster = self.cluster
        args = [
            sys.executable, "-m", "openrtm", "serve",
            "--port", str(self.port), "--http-port", str(self.http_port),
            "--data", str(self.data_dir), "--media-dir", str(cluster.media_dir),
            "--node-id", self.name,
        ]  # fmt: skip
        if cluster.redis_cluster is not None:
            args += ["--redis-cluster", ",".join(cluster.redis_cluster.urls)]
        else:
            args += ["--redis", cluster.redis.url]
        if cluster.presence_ttl is not None:
            args += ["--presence-ttl", str(cluster.presence_ttl)]
        if cluster.config_path is not None:
            args += ["--config", str(cluster.config_path)]
        return args

    def start(self) -> ClusterNode:
        """Start the process (again on the same ports, once it has run) and read its banner."""
        log = open(self.log_path, "ab")  # noqa: SIM115 -- the child keeps its own copy
        try:
            self.process = subprocess.Popen(
                self.arguments(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            log.close()
        banner = self._banner()
        ws = _WS_URL.search(banner[0]) if banner else None
        http = next((m for line in banner if (m := _HTTP_URL.match(line))), None)
        if ws is None or http is None:
            self.kill()
            raise AssertionError(f"{self.name} did not start: {banner!r}\n{self.log()}")
        self.url, self.http_url = ws.group(1), http.group(1)
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])
        self.http_port = int(self.http_url.rstrip("/").rsplit(":", 1)[1])
        return self

    def _banner(self) -> list[str]:
        # The banner ends with its "data: " line; then stdout is drained no more (the node
        # prints nothing else until it stops).
        process = self.process
        assert process is not None
        assert process.stdout is not None
        lines: list[str] = []
        buffered = b""
        deadline = time.monotonic() + unit(20)
        fd = process.stdout.fileno()
        while not lines or not lines[-1].startswith("data: "):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                break
            ready, _, _ = select.select([fd], [], [], min(left, 0.1))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffered += chunk
            *complete, buffered = buffered.split(b"\n")
            lines += [line.decode() for line in complete]
        return lines

    def log(self) -> str:
        """What the node wrote to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """``kill -9``: no goodbye to Redis, no close frames; its clients see the link die."""
        self._end(signal.SIGKILL)

    def stop(self) -> int | None:
        """SIGTERM, the graceful stop; returns the exit status."""
        process = self.process
        self._end(signal.SIGTERM)
        return None if process is None else process.returncode

    def _end(self, sig: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            _wait(process, unit(15))
        if process.stdout is not None:
            process.stdout.close()


class Cluster:
    """A private Redis and ``size`` nodes on it; ``nodes[i]`` is ``node<i>``.

    Args:
        root: a folder of its own (the test's ``tmp_path``).
        size: how many nodes.
        presence_ttl: ``--presence-ttl`` (None: the default, 15 s).
        settings: more server settings, written to a TOML file given with ``--config``.
        redis_cluster: run the nodes on this (running) Redis Cluster instead of a Redis of
            their own; it is not stopped with the nodes.
    """

    def __init__(
        self,
        root: Path,
        size: int = 3,
        *,
        presence_ttl: float | None = None,
        settings: dict[str, Any] | None = None,
        redis_cluster: RedisClusterServers | None = None,
    ) -> None:
        self.root = root
        self.redis_cluster = redis_cluster
        self.media_dir = root / "shared-media"
        self.presence_ttl = presence_ttl
        self.config_path: Path | None = None
        if settings:
            self.config_path = root / "openrtm.toml"
            self.config_path.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in settings.items()))
        self.redis = ClusterRedis(root / "redis")
        self.check_logs = True
        """Whether the fixture fails the test for a traceback in a node's log (a test that
        asserts it itself turns this off)."""
        self.nodes = [ClusterNode(self, i) for i in range(size)]

    def start(self) -> Cluster:
        if self.redis_cluster is None:
            self.redis.start()
        try:
            for node in self.nodes:
                node.start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every node (SIGTERM) and Redis; nothing is left running."""
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()
        self.redis.kill()

    def tracebacks(self) -> dict[str, str]:
        """Each node's log, for those that logged a traceback (there must be none)."""
        return {node.name: node.log() for node in self.nodes if "Traceback" in node.log()}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
