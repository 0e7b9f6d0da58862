"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, for the browser SDK.

Playwright cannot download browsers here, so the tests launch the system Chromium by path.
Without it the browser tests skip and say why; in CI (``CI`` set) they fail instead, since
``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("OPENRTM_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    if shutil.which(CHROMIUM) is None:
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> Page:
    """A blank page (about:blank, so every load from the server is cross-origin)."""
    return await browser.new_page()
