"""The browser SDK as an npm package and as TypeScript types, and Agora's quick start.

- A TypeScript app written only against ``agora-rtm-sdk``'s published types
  (``apps/typed/app.ts``) type-checks (strict) against openrtm's ``AgoraRTM.d.ts``, installed
  with a package alias from ``sdk/npm`` exactly as an app would; a wrong use fails.
- That app, bundled by esbuild, runs in Chromium with ``OPENRTM_SERVER`` set and exchanges
  messages with a Python SDK client.
- The quick start of Agora's Web documentation (``apps/quickstart``) runs against the SDK loaded
  from the server with a ``<script>`` tag, against a Python SDK peer.

The toolchain is sdk/js's locked one (``npm ci`` there). Without it these tests skip and say
why; in CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "sdk" / "js" / "node_modules"
TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
APPS = Path(__file__).parent / "apps"


def need_node_tools() -> str:
    """The path of `node`, or skip (fail in CI) without it, npm or sdk/js's node_modules."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None or not TSC.is_file() or not ESBUILD.exists():
        reason = "needs node, npm and sdk/js/node_modules (cd sdk/js && npm ci)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return node


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def typed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """apps/typed in a folder of its own, with `agora-rtm-sdk` installed from sdk/npm."""
    need_node_tools()
    app = tmp_path_factory.mktemp("typed-app")
    source = (APPS / "typed" / "app.ts").read_text()
    for key, value in {"APP_ID": APP_ID, "PEER": "py", "UID": "bundled"}.items():
        source = source.replace(f"%{key}%", value)
    (app / "app.ts").write_text(source)
    shutil.copy(APPS / "typed" / "tsconfig.json", app)
    manifest = (APPS / "typed" / "package.json").read_text()
    (app / "package.json").write_text(manifest.replace("%SDK_NPM%", str(REPO / "sdk" / "npm")))
    installed = run("npm", "install", "--offline", "--no-audit", "--no-fund", cwd=app)
    assert installed.returncode == 0, installed.stderr
    return app


def test_a_typescript_app_type_checks_against_the_types_through_the_alias(
    typed_app: Path,
) -> None:
    node = need_node_tools()
    checked = run(node, TSC, "-p", ".", cwd=typed_app)
    assert (checked.returncode, checked.stdout) == (0, "")
    # The check can fail: a wrong App ID type and a listener with a wrong argument type.
    (typed_app / "bad.ts").write_text(
        'import AgoraRTM from "agora-rtm-sdk";\n'
        "const client = AgoraRTM.createInstance(42);\n"
        'client.on("MessageFromPeer", (message, peerId: number) => console.log(message, peerId));\n'
    )
    config = json.loads((typed_app / "tsconfig.json").read_text())
    config["files"] = ["bad.ts"]
    (typed_app / "bad.tsconfig.json").write_text(json.dumps(config))
    refused = run(node, TSC, "-p", "bad.tsconfig.json", cwd=typed_app)
    assert refused.returncode != 0
    assert "bad.ts(2," in refused.stdout  # createInstance(42)
    assert "bad.ts(3," in refused.stdout  # peerId: number


def test_require_and_import_both_give_the_agora_rtm_object(typed_app: Path) -> None:
    node = need_node_tools()
    script = 'const A = require("agora-rtm-sdk"); console.log(A.VERSION, typeof A.createInstance)'
    required = run(node, "-e", script, cwd=typed_app)
    assert required.stdout.split() == ["1.5.1", "function"], required.stderr
    script = 'import A from "agora-rtm-sdk"; console.log(A.VERSION, typeof A.createInstance)'
    imported = run(node, "--input-type=module", "-e", script, cwd=typed_app)
    assert imported.stdout.split() == ["1.5.1", "function"], imported.stderr


@contextlib.asynccontextmanager
async def serve(files: dict[str, str]) -> AsyncIterator[str]:
    """Serve ``files`` (name → text) over HTTP on a loopback port of their own; yield its URL.

    A real server, not Playwright's routing: Chromium lets only pages of a local address reach
    the local openrtm server (local network access).
    """

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in files:
            raise web.HTTPNotFound()
        kind = "text/html" if name.endswith(".html") else "text/javascript"
        return web.Response(text=files[name], content_type=kind)

    app = web.Application()
    app.router.add_get("/{name}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def test_a_bundled_app_finds_its_server_in_openrtm_server(
    page: Page, server: Server, make_client: ClientFactory, typed_app: Path
) -> None:
    bundled = run(ESBUILD, "app.ts", "--bundle", "--format=iife", "--outfile=app.js", cwd=typed_app)
    assert bundled.returncode == 0, bundled.stderr
    python = make_client(server)
    inbox = Recorder(python, "MessageFromPeer")
    await python.login("py")
    # The bundle is not next to a server.json: the page names the server before loading it.
    html = f'<script>window.OPENRTM_SERVER = "{server.url}";</script><script src="app.js"></script>'
    files = {"index.html": html, "app.js": (typed_app / "app.js").read_text()}
    async with serve(files) as origin:
        await page.goto(origin + "index.html")
        await page.wait_for_function(
            "outcome.sent !== undefined || outcome.error !== undefined", timeout=unit(10) * 1000
        )
    outcome: dict[str, Any] = await page.evaluate("outcome")
    assert outcome == {
        "states": [["CONNECTING", "LOGIN"], ["CONNECTED", "LOGIN_SUCCESS"]],
        "heard": [],
        "version": "1.5.1",
        "build": "v1.5.1-openrtm",
        "members": ["bundled"],
        "sent": True,
    }
    message, peer_id, _ = await inbox.wait_for("MessageFromPeer")
    assert (message.text, peer_id) == ("hello from a bundle", "bundled")
    await python.send_message_to_peer("hello, bundle", "bundled")
    await page.wait_for_function("outcome.heard.length > 0", timeout=unit(5) * 1000)
    assert await page.evaluate("outcome.heard") == [["py", "hello, bundle"]]


async def test_the_server_key_wins_over_openrtm_server_which_wins_over_server_json(
    page: Page, server: Server, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    other = await start_server()
    # The SDK comes from `server`, whose server.json names `server`; the global names `other`.
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, here, there]) => {
            window.OPENRTM_SERVER = there;                  // read at login
            await AgoraRTM.createInstance(appId).login({ uid: "global" });
            await AgoraRTM.createInstance(appId, { server: here }).login({ uid: "config" });
            const updated = AgoraRTM.createInstance(appId);
            updated.updateConfig({ server: here });         // used from the next login on
            await updated.login({ uid: "updated" });
            delete window.OPENRTM_SERVER;
            await AgoraRTM.createInstance(appId).login({ uid: "json" });
        }""",
        [APP_ID, server.url, other.url],
    )
    uids = ["global", "config", "updated", "json"]
    here, there = make_client(server), make_client(other)
    await here.login("observer")
    await there.login("observer")
    assert await here.query_peers_online_status(uids) == {
        "global": False,
        "config": True,
        "updated": True,
        "json": True,
    }
    assert (await there.query_peers_online_status(uids))["global"] is True


async def test_the_module_members_of_agoras_sdk(page: Page, server: Server) -> None:
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    got = await page.evaluate(
        """(appId) => {
            const caught = (f) => {
                try { f(); return "ok"; } catch (e) { return [e.name, e.message]; }
            };
            const GLOBAL = ["GLOBAL"];
            const client = AgoraRTM.createInstance(appId, { logFilter: AgoraRTM.LOG_FILTER_OFF });
            return {
                build: AgoraRTM.BUILD,
                filters: [AgoraRTM.LOG_FILTER_OFF, AgoraRTM.LOG_FILTER_ERROR,
                          AgoraRTM.LOG_FILTER_WARNING, AgoraRTM.LOG_FILTER_INFO,
                          AgoraRTM.LOG_FILTER_DEBUG].map((f) => Object.keys(f).filter((k) => f[k])),
                areas: Object.values(AgoraRTM.AreaCode),
                setArea: [
                    caught(() => AgoraRTM.setArea({ areaCodes: GLOBAL, excludedArea: "CHINA" })),
                    caught(() => AgoraRTM.setArea({ areaCodes: ["EUROPE", "ASIA"] })),
                    caught(() => AgoraRTM.setArea({ areaCodes: [] })),
                    caught(() => AgoraRTM.setArea({ areaCodes: ["MARS"] })),
                    caught(() => AgoraRTM.setArea({ areaCodes: GLOBAL, excludedArea: "GLOBAL" })),
                    caught(() => AgoraRTM.setArea({ areaCodes: ["ASIA"], excludedArea: "ASIA" })),
                ],
                legacy: [
                    caught(() => AgoraRTM.createInstance(appId, {}, ["CN", "GLOB"])),
                    caught(() => AgoraRTM.createInstance(appId, {}, [])),
                    caught(() => AgoraRTM.createInstance(appId, {}, ["GLOBAL"])),
                ],
                config: [
                    caught(() => client.updateConfig({ logFilter: AgoraRTM.LOG_FILTER_INFO })),
                    caught(() => client.setParameters({ enableLogUpload: false })),
                    caught(() => client.updateConfig({ server: "http://x/" })),
                ],
            };
        }""",
        APP_ID,
    )
    invalid = "RtmInvalidArgumentError"
    assert got == {
        "build": "v1.5.1-openrtm",
        "filters": [
            [],
            ["error"],
            ["error", "warn"],
            ["error", "warn", "info"],
            ["error", "warn", "info", "track", "debug"],
        ],
        "areas": ["GLOBAL", "INDIA", "JAPAN", "ASIA", "EUROPE", "CHINA", "NORTH_AMERICA"],
        "setArea": [
            "ok",
            "ok",
            [invalid, "Invalid area config"],
            [invalid, "Invalid area config"],
            [invalid, "Excluded area cannot be global"],
            [invalid, "Excluded area cannot be in areaCodes"],
        ],
        "legacy": ["ok", [invalid, "Invalid area config"], [invalid, "Invalid area codes: GLOBAL"]],
        "config": ["ok", "ok", [invalid, "server must be a ws:// or wss:// URL"]],
    }


async def test_agoras_quick_start_runs_unchanged(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    inbox = Recorder(python, "MessageFromPeer")
    await python.login("py")
    folder = APPS / "quickstart"
    files = {
        "index.html": (folder / "index.html")
        .read_text()
        .replace("%SDK_URL%", server.http_url + "sdk/agora-rtm-sdk.js"),
        "index.js": (folder / "index.js").read_text().replace("%APP_ID%", APP_ID),
    }
    async with serve(files) as origin:
        await page.goto(origin + "index.html")
        await run_the_quick_start(page, python, inbox)


async def run_the_quick_start(page: Page, python: openrtm.RtmClient, inbox: Recorder) -> None:
    """Use the quick start's page as its user would, and check both sides."""

    async def log_has(line: str) -> None:
        await page.wait_for_function(
            "(line) => [...document.querySelectorAll('#log div')]"
            ".some((d) => d.textContent === line)",
            arg=line,
            timeout=unit(5) * 1000,
        )

    await page.fill("#userID", "web")
    await page.click("#login")
    await log_has("State changed To: CONNECTED Reason: LOGIN_SUCCESS")
    await page.fill("#channelName", "demoChannel")
    await page.click("#join")
    await log_has("Members: web")
    channel = python.create_channel("demoChannel")
    heard = Recorder(channel, "ChannelMessage")
    await channel.join()
    await log_has("py joined the channel")

    await page.fill("#peerId", "py")
    await page.fill("#peerMessage", "hello peer")
    await page.click("#send_peer_message")
    message, peer_id, _ = await inbox.wait_for("MessageFromPeer")
    assert (message.text, peer_id) == ("hello peer", "web")
    await log_has("Message has been received by: py Message: hello peer")

    await page.fill("#channelMessage", "hello channel")
    await page.click("#send_channel_message")
    message, member_id, _ = await heard.wait_for("ChannelMessage")
    assert (message.text, member_id) == ("hello channel", "web")

    await python.send_message_to_peer("hi web", "web")
    await log_has("Message from: py Message: hi web")
    await channel.send_message("hi channel")
    await log_has("Message received from: py Message: hi channel")
    await channel.leave()
    await log_has("py left the channel")
    await page.click("#logout")
    await log_has("State changed To: DISCONNECTED Reason: LOGOUT")
