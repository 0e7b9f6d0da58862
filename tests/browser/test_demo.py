"""The demo web app at the HTTP face's ``/``, walked through by two users in a real Chromium.

Each user has a browser context of its own (its own storage, as two people would) and drives
the page as a person does: by its forms and buttons, found by ``data-testid``. The server is a
real one in development mode, so the demo's default App ID and no token log in.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from openrtm.server import Server
from tests.conftest import unit

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "demo.png"


def png(width: int, height: int) -> bytes:
    """A real PNG: a diagonal gradient, ``width`` × ``height``, 8-bit RGB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\0"
        + bytes(
            c
            for x in range(width)
            for c in (60 + 150 * x // width, 110 + 100 * y // height, 246 - 60 * x // width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wait() -> dict[str, float]:
    """The timeout of one expectation, in ms."""
    return {"timeout": unit(5) * 1000}


@pytest.fixture
async def pages(browser: Browser) -> AsyncIterator[tuple[Page, Page]]:
    """Two pages, each in a context of its own, sized like a laptop screen; neither may throw."""
    contexts = [await browser.new_context(viewport={"width": 1360, "height": 800}) for _ in "ab"]
    errors: list[str] = []
    try:
        two = await contexts[0].new_page(), await contexts[1].new_page()
        for page in two:
            page.on("pageerror", lambda error: errors.append(str(error)))
        yield two
    finally:
        for context in contexts:
            await context.close()
    assert errors == []


async def open_demo(page: Page, server: Server) -> None:
    await page.goto(server.http_url)
    await expect(page.get_by_test_id("connection-state")).to_have_text("DISCONNECTED", **wait())


async def log_in(page: Page, uid: str) -> None:
    await page.get_by_test_id("uid").fill(uid)
    await page.get_by_test_id("login").click()
    await expect(page.get_by_test_id("connection-state")).to_have_text("CONNECTED", **wait())
    await expect(page.get_by_test_id("connection-reason")).to_have_text("LOGIN_SUCCESS")
    await expect(page.get_by_test_id("me-uid")).to_have_text(uid)


def person(page: Page, uid: str) -> Locator:
    return page.locator(f'[data-testid="person"][data-uid="{uid}"]')


def presence(page: Page, uid: str) -> Locator:
    return person(page, uid).get_by_test_id("presence")


async def follow(page: Page, uid: str) -> None:
    await page.get_by_test_id("follow-id").fill(uid)
    await page.get_by_test_id("follow").click()
    await expect(person(page, uid)).to_be_visible(**wait())


async def say(page: Page, where: str, text: str) -> None:
    await page.get_by_test_id(f"{where}-text").fill(text)
    await page.get_by_test_id(f"{where}-text").press("Enter")


async def chat_with(page: Page, uid: str) -> None:
    await page.get_by_test_id("peer-id").fill(uid)
    await page.get_by_test_id("open-chat").click()
    await expect(page.get_by_test_id("call")).to_be_enabled()


async def two_logged_in(pages: tuple[Page, Page], server: Server) -> None:
    """alice and bob logged in, each with the other's conversation open."""
    for page, uid, peer in ((pages[0], "alice", "bob"), (pages[1], "bob", "alice")):
        await open_demo(page, server)
        await log_in(page, uid)
        await chat_with(page, peer)


def call_status(page: Page) -> Locator:
    return page.get_by_test_id("call-dialog").get_by_test_id("call-status")


async def close_call(page: Page) -> None:
    await page.get_by_test_id("call-close").click()
    await expect(page.get_by_test_id("call-dialog")).to_be_hidden()


def members(page: Page) -> Locator:
    return page.get_by_test_id("members").get_by_test_id("member")


async def test_the_page_and_its_assets_are_served(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.http_url) as response:
            assert (response.status, response.content_type) == (200, "text/html")
            page = await response.text()
        # Loaded as an Agora app loads the SDK: a <script> tag and the global AgoraRTM.
        assert '<script src="/sdk/agora-rtm-sdk.js"></script>' in page
        for name, content_type in (("app.js", "text/javascript"), ("style.css", "text/css")):
            async with http.get(server.http_url + "demo/" + name) as response:
                assert (response.status, response.content_type) == (200, content_type)
        for missing in ("demo/index.html", "demo/nope.js", "demo/..%2Fsdk%2Fagora-rtm-sdk.js"):
            async with http.get(server.http_url + missing) as response:
                assert response.status == 404, missing


async def test_two_users_chat_join_a_channel_and_follow_each_other(
    pages: tuple[Page, Page], server: Server
) -> None:
    alice, bob = pages
    await open_demo(alice, server)
    await open_demo(bob, server)
    # Prefilled: a well-formed demo App ID, a guest user id, no token.
    app_id = await alice.get_by_test_id("app-id").input_value()
    assert re.fullmatch("[0-9A-Za-z]{32}", app_id)
    assert (await alice.get_by_test_id("uid").input_value()).startswith("guest-")
    assert await alice.get_by_test_id("token").input_value() == ""

    # Bad input: the SDK's error, by name and code, and a sentence (spec §4.15 code 1, §4.1
    # code 3).
    await alice.get_by_test_id("app-id").fill("not-an-app-id")
    await alice.get_by_test_id("login").click()
    error = alice.get_by_test_id("error").last
    await expect(error.get_by_test_id("error-code")).to_have_text(
        "RtmInvalidArgumentError · code 1", **wait()
    )
    await expect(error.get_by_test_id("error-sentence")).to_have_text(
        "An App ID is 32 letters and digits."
    )
    await alice.get_by_test_id("app-id").fill(app_id)
    await alice.get_by_test_id("uid").fill("alice/bob")
    await alice.get_by_test_id("login").click()
    error = alice.get_by_test_id("error").last
    await expect(error.get_by_test_id("error-code")).to_have_text(
        "RtmInvalidArgumentError · code 3", **wait()
    )
    await expect(error.get_by_test_id("error-sentence")).to_contain_text("user id is not valid")
    await expect(alice.get_by_test_id("connection-state")).to_have_text("DISCONNECTED")

    await log_in(alice, "alice")
    # Presence: bob is followed while offline, then comes online.
    await follow(alice, "bob")
    await expect(presence(alice, "bob")).to_have_attribute("data-presence", "OFFLINE", **wait())
    await log_in(bob, "bob")
    await expect(presence(alice, "bob")).to_have_attribute("data-presence", "ONLINE", **wait())
    await follow(bob, "alice")
    await expect(presence(bob, "alice")).to_have_attribute("data-presence", "ONLINE", **wait())

    # One to one, both ways, each with the delivered tick (hasPeerReceived).
    await person(alice, "bob").click()
    await expect(alice.get_by_test_id("peer-id")).to_have_value("bob")
    await say(alice, "peer", "Hi Bob! Coming to the lobby?")
    sent = alice.get_by_test_id("peer-messages").get_by_test_id("message-out").last
    await expect(sent.get_by_test_id("tick")).to_have_attribute("data-tick", "delivered", **wait())
    received = bob.get_by_test_id("peer-messages").get_by_test_id("message-in").last
    await expect(received).to_contain_text("Hi Bob! Coming to the lobby?", **wait())
    await expect(bob.get_by_test_id("peer-id")).to_have_value("alice")  # opened by itself
    await say(bob, "peer", "On my way")
    sent = bob.get_by_test_id("peer-messages").get_by_test_id("message-out").last
    await expect(sent.get_by_test_id("tick")).to_have_attribute("data-tick", "delivered", **wait())
    received = alice.get_by_test_id("peer-messages").get_by_test_id("message-in").last
    await expect(received).to_contain_text("On my way", **wait())

    # A channel: each sees both in the member list, and the count.
    await alice.get_by_test_id("join").click()
    await expect(alice.get_by_test_id("member-count")).to_have_text("1", **wait())
    await bob.get_by_test_id("join").click()
    for page in (alice, bob):
        await expect(members(page)).to_have_count(2, **wait())
        await expect(page.get_by_test_id("member-count")).to_have_text("2", **wait())
        assert sorted(await members(page).evaluate_all("(l) => l.map((m) => m.dataset.uid)")) == [
            "alice",
            "bob",
        ]
    await say(bob, "channel", "hello everyone")
    received = alice.get_by_test_id("channel-messages").get_by_test_id("message-in").last
    await expect(received).to_contain_text("hello everyone", **wait())
    await expect(received).to_have_attribute("data-from", "bob")

    # Bob logs out: his state says so; alice sees him leave and go offline.
    await bob.get_by_test_id("logout").click()
    await expect(bob.get_by_test_id("connection-state")).to_have_text("DISCONNECTED", **wait())
    await expect(bob.get_by_test_id("connection-reason")).to_have_text("LOGOUT")
    await expect(bob.get_by_test_id("login")).to_be_visible()
    await expect(members(alice)).to_have_count(1, **wait())
    await expect(alice.get_by_test_id("member-count")).to_have_text("1", **wait())
    await expect(presence(alice, "bob")).to_have_attribute("data-presence", "OFFLINE", **wait())

    # A message to someone offline: sent, not delivered.
    await say(alice, "peer", "See you later")
    sent = alice.get_by_test_id("peer-messages").get_by_test_id("message-out").last
    await expect(sent.get_by_test_id("tick")).to_have_attribute("data-tick", "sent", **wait())


async def test_calls_accepted_refused_and_cancelled(
    pages: tuple[Page, Page], server: Server
) -> None:
    alice, bob = pages
    await two_logged_in(pages, server)

    # alice calls, bob accepts: both see the outcome, on the card and in the conversation.
    await alice.get_by_test_id("call").click()
    await expect(call_status(alice)).to_have_text("Ringing…", **wait())
    await expect(bob.get_by_test_id("call-title")).to_have_text("alice", **wait())
    await expect(call_status(bob)).to_have_text("is calling you")
    await bob.get_by_test_id("call-accept").click()
    await expect(call_status(alice)).to_have_text("bob accepted your call", **wait())
    await expect(call_status(bob)).to_have_text("You accepted alice's call", **wait())
    for page, outcome in ((alice, "bob accepted your call"), (bob, "You accepted alice's call")):
        line = page.get_by_test_id("peer-messages").get_by_test_id("system-line").last
        await expect(line).to_have_text(outcome)
        await close_call(page)

    # bob calls, alice declines.
    await bob.get_by_test_id("call").click()
    await expect(alice.get_by_test_id("call-refuse")).to_be_visible(**wait())
    await alice.get_by_test_id("call-refuse").click()
    await expect(call_status(bob)).to_have_text("alice declined your call", **wait())
    await expect(call_status(alice)).to_have_text("You declined bob's call", **wait())
    await close_call(alice)
    await close_call(bob)

    # alice calls and hangs up before bob answers.
    await alice.get_by_test_id("call").click()
    await expect(bob.get_by_test_id("call-accept")).to_be_visible(**wait())
    await alice.get_by_test_id("call-cancel").click()
    await expect(call_status(alice)).to_have_text("You cancelled the call to bob", **wait())
    await expect(call_status(bob)).to_have_text("alice hung up", **wait())


async def test_an_image_and_a_file_sent_with_progress(
    pages: tuple[Page, Page], server: Server, tmp_path: Path
) -> None:
    alice, bob = pages
    await two_logged_in(pages, server)
    await follow(bob, "alice")
    for page in (bob, alice):
        await page.get_by_test_id("join").click()
        await expect(page.get_by_test_id("channel-text")).to_be_enabled(**wait())
    await expect(bob.get_by_test_id("member-count")).to_have_text("2", **wait())
    await say(alice, "channel", "Hi all, the slides are coming")
    await say(bob, "channel", "Welcome to the lobby!")
    await say(alice, "peer", "Here is the sunset from yesterday")

    # An image: picked, uploaded with its progress bar full, sent, shown inline on both sides.
    image = tmp_path / "sunset.png"
    image.write_bytes(png(240, 150))
    await alice.get_by_test_id("peer-file").set_input_files(image)
    upload = alice.get_by_test_id("peer-upload")
    await expect(upload).to_have_attribute("data-state", "done", **wait())
    bar = upload.get_by_test_id("upload-progress")
    assert await bar.evaluate("(p) => [p.value, p.max]") == [image.stat().st_size] * 2
    await expect(upload.get_by_test_id("upload-status")).to_have_text("sent")
    sent = alice.get_by_test_id("peer-messages").get_by_test_id("message-out").last
    await expect(sent.get_by_test_id("tick")).to_have_attribute("data-tick", "delivered", **wait())
    shown = bob.get_by_test_id("peer-messages").get_by_test_id("image").last
    await expect(shown).to_have_attribute("src", re.compile(r"^blob:"), **wait())
    await bob.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 240 && img.naturalHeight === 150",
        arg=await shown.element_handle(),
        timeout=unit(5) * 1000,
    )
    await say(bob, "peer", "Beautiful!")
    await expect(
        alice.get_by_test_id("peer-messages").get_by_test_id("message-in").last
    ).to_contain_text("Beautiful!", **wait())

    # A file: a download link on the other side, which saves the same bytes.
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"openrtm demo: a file message\n" * 100)
    await bob.get_by_test_id("channel-file").set_input_files(notes)
    await expect(bob.get_by_test_id("channel-upload")).to_have_attribute(
        "data-state", "done", **wait()
    )
    link = alice.get_by_test_id("channel-messages").get_by_test_id("file-link").last
    await expect(link).to_have_text("⬇ notes.txt", **wait())
    async with alice.expect_download(**wait()) as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "notes.txt"
    saved = await download.path()
    assert saved.read_bytes() == notes.read_bytes()

    # The picture for the README: bob's page, the image inline beside the channel's members.
    await expect(presence(bob, "alice")).to_have_attribute("data-presence", "ONLINE")
    await bob.evaluate("() => document.activeElement.blur()")
    update = os.environ.get("OPENRTM_UPDATE_SCREENSHOT") == "1"
    target = SCREENSHOT if update else tmp_path / "demo.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    await bob.screenshot(path=str(target))
