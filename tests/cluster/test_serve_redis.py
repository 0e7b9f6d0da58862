"""``openrtm serve --redis`` as an operator runs it: clear failures at start, masked passwords,
and a shared media directory that a starting node does not sweep from under another."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrtm.server import Server, ServerConfig
from openrtm.server.node import Node
from tests.cluster.cluster import ClusterRedis
from tests.conftest import APP_ID, unit
from tests.redis_server import free_port, require_redis_server


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``openrtm serve`` expecting it to exit by itself."""
    return subprocess.run(
        [sys.executable, "-m", "openrtm", "serve", "--port", "0", "--http-port", "0", *args],
        capture_output=True,
        text=True,
        timeout=unit(30),
        check=False,
    )


def test_an_unreachable_redis_stops_serve_with_one_line(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    result = serve("--data", str(tmp_path), "--redis", url)
    assert result.returncode == 1
    assert time.monotonic() - started < unit(20)
    lines = [line for line in result.stderr.splitlines() if "development mode" not in line]
    assert lines == [f"openrtm serve: cannot use Redis at {url}: {lines[0].split(': ', 2)[2]}"]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # no banner: it never served


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:6379/0", "invalid Redis URL"),
        ("redis://:hunter2@127.0.0.1:6379/x", "must be a number"),
    ],
)
def test_a_malformed_redis_url_is_a_usage_error(tmp_path: Path, url: str, message: str) -> None:
    result = serve("--data", str(tmp_path), "--redis", url)
    assert result.returncode == 2
    assert message in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_password_works_and_is_never_printed(tmp_path: Path) -> None:
    require_redis_server()
    redis = ClusterRedis(tmp_path / "redis", extra=("--requirepass", "s3cret-pw")).start()
    try:
        wrong = serve("--data", str(tmp_path), "--redis", f"redis://:nope@127.0.0.1:{redis.port}/0")
        assert wrong.returncode == 1
        assert f"redis://:***@127.0.0.1:{redis.port}/0" in wrong.stderr
        assert "nope" not in wrong.stderr + wrong.stdout
        assert "Traceback" not in wrong.stderr
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openrtm",
                "serve",
                "--port",
                "0",
                "--http-port",
                "0",
                "--data",
                str(tmp_path),
                "--node-id",
                "rtm-a",
                "--redis",
                f"redis://:s3cret-pw@127.0.0.1:{redis.port}/0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            banner: list[str] = []
            while not banner or not banner[-1].startswith("data: "):
                line = process.stdout.readline()
                assert line, process.stderr.read() if process.stderr else ""
                banner.append(line.rstrip("\n"))
            assert "node: rtm-a" in banner
            assert f"media files: {tmp_path / 'media'}" in banner
            assert banner[-1] == (
                f"data: Redis redis://:***@127.0.0.1:{redis.port}/0 (presence TTL 15 s)"
            )
        finally:
            process.terminate()
            _, err = process.communicate(timeout=unit(15))
        assert process.returncode == 0
        assert "s3cret-pw" not in err
        assert "Traceback" not in err
    finally:
        redis.kill()


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("clustered", [False, True])
async def test_a_starting_node_spares_the_uploads_of_others(
    tmp_path: Path, clustered: bool
) -> None:
    # The media sweep at start, without Redis (the node is given memory + SQLite): alone,
    # every unrecorded file is a leftover; sharing the directory, only old ones are.
    config = ServerConfig(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        media_root=tmp_path / "shared",
        redis_url="redis://127.0.0.1:9/0" if clustered else None,
    )
    tmp, objects = tmp_path / "shared" / "tmp", tmp_path / "shared" / APP_ID
    tmp.mkdir(parents=True)
    objects.mkdir()
    files = {name: (tmp if name.endswith(".part") else objects) / name for name in (
        "old.part", "young.part", "old-object", "young-object")}  # fmt: skip
    for name, path in files.items():
        path.write_bytes(b"x")
        if name.startswith("old"):
            _age(path, 2 * config.media_stall_timeout + 5)
    async with Server(config, node=Node(config)):
        pass
    left = sorted(name for name, path in files.items() if path.exists())
    assert left == (["young-object", "young.part"] if clustered else [])


def test_redis_and_redis_cluster_together_are_a_usage_error(tmp_path: Path) -> None:
    result = serve(
        "--data", str(tmp_path), "--redis", "redis://127.0.0.1:1/0",
        "--redis-cluster", "redis://:hunter2@127.0.0.1:2,redis://:hunter2@127.0.0.1:3",
    )  # fmt: skip
    assert result.returncode == 2
    assert "mutually exclusive" in result.stderr
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_redis_cluster_stops_serve_with_one_line(tmp_path: Path) -> None:
    result = serve("--data", str(tmp_path), "--redis-cluster", "redis://:hunter2@127.0.0.1:1")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "development mode" not in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("openrtm serve: cannot use Redis Cluster")
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr
