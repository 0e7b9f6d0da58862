"""The Linux C++ SDK (issue #16): build it, run its GoogleTest suite, and talk to it.

The C++ project is configured and built once per session into ``build/cpp`` (ignored by git;
kept between runs so that a rebuild is incremental). Each GoogleTest test is reported as a
pytest test of its own. The example chat (``sdk/cpp/examples/chat.cpp``, written against
Agora's API only) then exchanges peer and channel messages with the Python SDK, survives a
dropped link and a silent one (resume, keepalive), and is compiled again against the
*installed* SDK through ``find_package(AgoraRtmSdk)`` and through pkg-config, as an app would.

Without cmake, a C++ compiler, Boost, nlohmann-json or GoogleTest these tests skip locally,
but fail when ``CI`` is set (``.ci/run`` installs them).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import openrtm
from tests.conftest import Recorder, unit
from tests.proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "cpp"
BUILD = ROOT / "build" / "cpp"
APP_ID = "0123456789abcdef0123456789abcdef"

_HEADERS = {
    "Boost.Beast (libboost-dev)": "/usr/include/boost/beast.hpp",
    "nlohmann-json (nlohmann-json3-dev)": "/usr/include/nlohmann/json.hpp",
    "GoogleTest (libgtest-dev)": "/usr/include/gtest/gtest.h",
}


def _missing() -> list[str]:
    missing = [tool for tool in ("cmake", "c++") if shutil.which(tool) is None]
    missing += [name for name, path in _HEADERS.items() if not Path(path).exists()]
    return missing


def _require_toolchain() -> None:
    missing = _missing()
    if not missing:
        return
    message = "the C++ SDK needs " + ", ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must install them: .ci/run)")
    pytest.skip(message)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OPENRTM_PYTHON"] = sys.executable
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.pop("OPENRTM_SERVER", None)
    return env


def _run(*cmd: str | Path, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture(scope="session")
def cpp_build() -> Path:
    """The configured and built C++ project."""
    _require_toolchain()
    _run("cmake", "-S", SDK, "-B", BUILD, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", timeout=300)
    _run("cmake", "--build", BUILD, "-j", str(os.cpu_count() or 2), timeout=900)
    return BUILD


@pytest.fixture(scope="session")
def gtest_results(cpp_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the GoogleTest binary once; its results by ``Suite.Name``."""
    out = tmp_path_factory.mktemp("gtest") / "results.json"
    proc = subprocess.run(
        [str(cpp_build / "rtm_sdk_tests"), f"--gtest_output=json:{out}"],
        capture_output=True,
        text=True,
        timeout=unit(600),
        env=_env(),
    )
    if not out.exists():
        pytest.fail(
            f"the GoogleTest binary wrote no results:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
        )
    data = json.loads(out.read_text())
    results: dict[str, Any] = {}
    for suite in data["testsuites"]:
        for test in suite["testsuite"]:
            results[f"{suite['name']}.{test['name']}"] = test
    return results


def _gtest_names() -> list[str]:
    names = []
    for source in sorted((SDK / "tests").glob("test_*.cpp")):
        names += [
            f"{s}.{n}" for s, n in re.findall(r"^TEST\((\w+), (\w+)\)", source.read_text(), re.M)
        ]
    return names


@pytest.mark.parametrize("name", _gtest_names())
def test_gtest(name: str, gtest_results: dict[str, Any]) -> None:
    """One GoogleTest test of ``sdk/cpp/tests`` against a live ``openrtm serve``."""
    result = gtest_results.get(name)
    assert result is not None, f"{name} did not run"
    failures = [f["failure"] for f in result.get("failures", [])]
    assert not failures, "\n".join(failures)


def _sanitized_run(name: str, sanitize: str, env: dict[str, str], *args: str) -> str:
    """Builds the suite with ``-fsanitize=<sanitize>`` into ``build/<name>`` and runs it."""
    _require_toolchain()
    build = ROOT / "build" / name
    _run(
        "cmake",
        "-S",
        SDK,
        "-B",
        build,
        "-DCMAKE_BUILD_TYPE=Debug",
        f"-DOPENRTM_SANITIZE={sanitize}",
        "-DOPENRTM_BUILD_EXAMPLES=OFF",
        timeout=300,
    )
    _run("cmake", "--build", build, "-j", str(os.cpu_count() or 2), timeout=900)
    proc = subprocess.run(
        [str(build / "rtm_sdk_tests"), *args],
        capture_output=True,
        text=True,
        timeout=unit(600),
        env={**_env(), **env},
    )
    output = proc.stdout + proc.stderr
    markers = (
        "runtime error:",
        "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer",
        "WARNING: ThreadSanitizer",
    )
    reports = [line for line in output.splitlines() if any(m in line for m in markers)]
    assert not reports, "\n".join(reports) + "\n" + output[-6000:]
    assert proc.returncode == 0, output[-4000:]
    assert "[  PASSED  ]" in output, output[-4000:]
    return output


def test_gtest_suite_under_asan_and_ubsan() -> None:
    """The whole GoogleTest suite, built with AddressSanitizer and UndefinedBehaviorSanitizer
    (leak checking included): no report, every test passing (issue #16)."""
    _sanitized_run(
        "cpp-asan",
        "address,undefined",
        {"ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"},
    )


def test_threading_tests_under_tsan() -> None:
    """The tests that exercise the SDK's threads (callbacks re-entering the SDK, release from a
    callback, both directions of peer and channel traffic) under ThreadSanitizer: no report."""
    _sanitized_run(
        "cpp-tsan",
        "thread",
        {"TSAN_OPTIONS": "halt_on_error=0 second_deadlock_stack=1"},
        "--gtest_filter=Threading.*:Peer.*:Channel.*:Login.StatesCallbacksAndLogout",
    )


class Chat:
    """The example chat program, driven through its standard input and output."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, build: Path, uid: str, url: str) -> Chat:
        proc = await asyncio.create_subprocess_exec(
            str(build / "rtm_chat"),
            APP_ID,
            uid,
            url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_env(),
        )
        chat = cls(proc)
        await chat.expect("login ok")
        chat.lines.clear()  # the login's state lines: later expectations are about what follows
        return chat

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def expect(self, pattern: str, timeout: float | None = None) -> str:
        """Wait for an output line matching the regular expression ``pattern``."""
        assert self.proc.stdout is not None
        regex = re.compile(pattern)
        for line in self.lines:
            if regex.fullmatch(line):
                self.lines.remove(line)
                return line
        async with asyncio.timeout(timeout or unit(10)):
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"chat exited waiting for {pattern!r}; saw {self.lines}")
                line = raw.decode().rstrip("\n")
                if regex.fullmatch(line):
                    return line
                self.lines.append(line)

    async def quit(self) -> None:
        await self.send("/quit")
        await self.expect("bye")
        assert await asyncio.wait_for(self.proc.wait(), unit(10)) == 0


@pytest.fixture
async def chats(cpp_build: Path) -> AsyncIterator[list[Chat]]:
    started: list[Chat] = []
    yield started
    for chat in started:
        if chat.proc.returncode is None:
            chat.proc.kill()
            await chat.proc.wait()


async def test_chat_talks_to_the_python_sdk(
    server: Any, make_client: Any, cpp_build: Path, chats: list[Chat]
) -> None:
    """Peer messages both ways with receipts, and a channel, between the C++ example and Python."""
    py: openrtm.RtmClient = make_client(server, app_id=APP_ID)
    peers = Recorder(py, "MessageFromPeer")
    await py.login("py")
    chat = await Chat.start(cpp_build, "cpp", server.url)
    chats.append(chat)

    result = await py.send_message_to_peer("hello cpp", "cpp")
    assert result.has_peer_received  # the C++ SDK acknowledged it (protocol §3.5)
    await chat.expect("peer py: hello cpp")

    await chat.send("/peer py hello python")
    sent = await chat.expect(r"sent \d+ ret 0")
    message, peer_id, props = await peers.wait_for("MessageFromPeer")
    assert (message.text, peer_id, props.is_offline_message) == ("hello python", "cpp", False)
    await chat.expect(rf"peer result {sent.split()[1]} 0")  # PEER_MESSAGE_ERR_OK

    channel = py.create_channel("lobby")
    room = Recorder(channel, "ChannelMessage", "MemberJoined")
    await channel.join()
    await chat.send("/join lobby")
    await chat.expect("joined lobby")
    assert await room.wait_for("MemberJoined") == ("cpp",)
    await chat.send("/send hi room")
    message, member, _ = await room.wait_for("ChannelMessage")
    assert (message.text, member) == ("hi room", "cpp")
    await channel.send_message("hi cpp")
    await chat.expect("channel lobby py: hi cpp")
    await chat.send("/members")
    line = await chat.expect(r"members lobby 0: .*")
    assert sorted(line.split(": ")[1].split()) == ["cpp", "py"]
    await chat.quit()


async def test_chat_gets_offline_messages(
    server: Any, make_client: Any, cpp_build: Path, chats: list[Chat]
) -> None:
    py: openrtm.RtmClient = make_client(server, app_id=APP_ID)
    await py.login("py")
    result = await py.send_message_to_peer(
        "while you were away", "late", {"enable_offline_messaging": True}
    )
    assert not result.has_peer_received
    chat = await Chat.start(cpp_build, "late", server.url)
    chats.append(chat)
    await chat.expect(r"peer py \(offline\): while you were away")
    await chat.quit()


async def test_chat_resumes_after_a_dropped_link(
    server: Any, make_client: Any, cpp_build: Path, chats: list[Chat]
) -> None:
    """A lost link: RECONNECTING, then the session is resumed (protocol §3.2, spec §3.2)."""
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        py: openrtm.RtmClient = make_client(server, app_id=APP_ID)
        await py.login("py")
        chat = await Chat.start(cpp_build, "roamer", proxy.url)
        chats.append(chat)
        await chat.send("/join room")
        await chat.expect("joined room")
        proxy.drop()
        await chat.expect("state 4 reason 5")  # RECONNECTING / INTERRUPTED
        await chat.expect("state 3 reason 2")  # CONNECTED / LOGIN_SUCCESS
        # Resumed: still a member, and messages flow both ways.
        channel = py.create_channel("room")
        await channel.join()
        members = await channel.get_members()
        assert sorted(members) == ["py", "roamer"]
        assert (await py.send_message_to_peer("welcome back", "roamer")).has_peer_received
        await chat.expect("peer py: welcome back")
        await chat.quit()
    finally:
        await proxy.close()


async def test_chat_restores_a_session_that_was_not_resumed(
    start_server: Any, make_client: Any, cpp_build: Path, chats: list[Chat]
) -> None:
    """The link comes back to a server that does not know the session (protocol §3.1): a new
    session, in which the SDK joins its channels again before it reports CONNECTED (§9.6)."""
    first = await start_server()
    second = await start_server()
    proxy = await TcpProxy(first.gateway.port).start()
    try:
        chat = await Chat.start(cpp_build, "mover", proxy.url)
        chats.append(chat)
        await chat.send("/join hall")
        await chat.expect("joined hall")
        proxy.retarget(second.gateway.port)
        proxy.drop()
        await chat.expect("state 4 reason 5")
        await chat.expect("state 3 reason 2")
        py: openrtm.RtmClient = make_client(second, app_id=APP_ID)
        await py.login("py")
        channel = py.create_channel("hall")
        await channel.join()
        assert sorted(await channel.get_members()) == ["mover", "py"]
        await channel.send_message("still here")
        await chat.expect("channel hall py: still here")
        await chat.quit()
    finally:
        await proxy.close()


async def test_chat_keepalive_notices_a_silent_link(
    server: Any, make_client: Any, cpp_build: Path, chats: list[Chat]
) -> None:
    """A link that goes silent is dropped after ~4 s of pings without answer (protocol §1)."""
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        chat = await Chat.start(cpp_build, "quiet", proxy.url)
        chats.append(chat)
        proxy.freeze()
        await chat.expect("state 4 reason 5", timeout=unit(10))
        await chat.expect("state 3 reason 2", timeout=unit(15))
        await chat.quit()
    finally:
        await proxy.close()


def test_an_agora_program_builds_against_the_installed_sdk(cpp_build: Path, tmp_path: Path) -> None:
    """Install the SDK, then build an Agora-API program with find_package and with pkg-config."""
    prefix = tmp_path / "prefix"
    _run("cmake", "--install", cpp_build, "--prefix", prefix, timeout=120)
    assert (prefix / "lib" / "libagora_rtm_sdk.so").exists() or list(
        prefix.glob("lib*/libagora_rtm_sdk.so")
    )
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.25)\n"
        "project(agora_app CXX)\n"
        "find_package(AgoraRtmSdk REQUIRED)\n"
        f"add_executable(app {SDK / 'examples' / 'chat.cpp'})\n"
        "target_compile_options(app PRIVATE -Wall -Wextra -Werror)\n"
        "target_link_libraries(app PRIVATE AgoraRtmSdk::agora_rtm_sdk)\n"
    )
    _run(
        "cmake",
        "-S",
        consumer,
        "-B",
        consumer / "build",
        f"-DCMAKE_PREFIX_PATH={prefix}",
        timeout=120,
    )
    _run("cmake", "--build", consumer / "build", timeout=300)
    if shutil.which("pkg-config"):
        pc_dirs = [str(p.parent) for p in prefix.glob("lib*/pkgconfig/agora_rtm_sdk.pc")]
        flags = _run(
            "pkg-config",
            "--cflags",
            "--libs",
            "agora_rtm_sdk",
            timeout=30,
            env={**os.environ, "PKG_CONFIG_PATH": os.pathsep.join(pc_dirs)},
        ).stdout.split()
        _run(
            "c++",
            "-std=c++17",
            SDK / "examples" / "chat.cpp",
            *flags,
            "-pthread",
            "-o",
            tmp_path / "app2",
            timeout=300,
        )
