"""The servers under test: how to start one pinned to a core, wait for it, and stop it by PID."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.clients import OpenRtm
from bench.common import HOST, free_port
from bench.loadgen import APP_CERTIFICATE

__all__ = ["SYSTEMS", "RunningServer", "python_env", "start_server", "taskset_prefix"]

# openrtm's limits that a benchmark would trip over (docs/protocol.md §3.20): the publisher
# and the senders send far more than 180 messages in 3 s. Everything else is the default.
OPENRTM_CONFIG = """\
# Written by bench/systems.py. Spec §5.4 allows 180 messages per 3 s per client; the
# benchmark's publisher and senders need far more.
message_rate_calls = 100000
message_rate_window = 1.0
"""

SYSTEMS = ("openrtm", "relay", "socketio")


@dataclass
class RunningServer:
    system: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``; always reaps it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)


def taskset_prefix(cpu: int | None) -> list[str]:
    """``taskset -c CPU`` when pinning is possible (≥ 2 CPUs and taskset installed)."""
    if cpu is None or (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(cpu)]


def _has_http_face(src: Path | None) -> bool:
    """Whether the openrtm that runs (``src``, or the installed one) has an HTTP face."""
    if src is not None:
        return (src / "openrtm" / "server" / "http").is_dir()
    spec = importlib.util.find_spec("openrtm")
    origin = spec.origin if spec is not None else None
    return origin is not None and (Path(origin).parent / "server" / "http").is_dir()


def _command(
    system: str, port: int, workdir: Path, tokens: bool, src: Path | None = None
) -> list[str]:
    python = sys.executable
    if system == "openrtm":
        config = workdir / "openrtm.toml"
        config.write_text(OPENRTM_CONFIG)
        cmd = [python, "-m", "openrtm", "serve", "--port", str(port)]
        cmd += ["--data", str(workdir / "data"), "--config", str(config)]
        if _has_http_face(src):
            # Its default, PORT + 1, may be taken: only PORT was found free.
            cmd += ["--http-port", "0"]
        if tokens:
            cmd += ["--app", f"{OpenRtm.APP_ID}:{APP_CERTIFICATE}"]
        return cmd
    if system == "relay":
        return [python, "-m", "bench.servers.relay", "--port", str(port)]
    if system == "socketio":
        return [python, "-m", "bench.servers.socketio_server", "--port", str(port)]
    raise ValueError(f"unknown system {system!r}")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((HOST, port)) == 0


def python_env(src: Path | None) -> dict[str, str]:
    """The environment for a child: bench/ importable, and openrtm from ``src`` if given."""
    repo = Path(__file__).resolve().parent.parent
    paths = [str(src)] if src is not None else []
    paths += [str(repo), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def start_server(
    system: str,
    workdir: Path,
    *,
    cpu: int | None,
    tokens: bool = False,
    src: Path | None = None,
    timeout: float = 20.0,
    wrapper: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> RunningServer:
    """Start ``system`` on a free port of 127.0.0.1 and wait until it accepts connections.

    ``src``: a directory holding the ``openrtm`` package to run instead of the installed one.
    ``wrapper``: a command that runs the server (valgrind, say); ``env``: more variables.
    """
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{system}.log"
    cmd = [*taskset_prefix(cpu), *wrapper, *_command(system, port, workdir, tokens, src)]
    with open(log, "wb") as out:
        # taskset execs the server (or its wrapper), so proc.pid is the server's own PID.
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env={**python_env(src), **(env or {})},
        )
    server = RunningServer(system, proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{system} exited with {proc.returncode}:\n{server.log_tail()}")
        if _listening(port):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{system} did not listen on port {port} within {timeout} s")
