"""docs/rest-api.md is true: every ``sh`` example runs verbatim against a live server.

Each ```` ```sh ```` block runs with bash, with the variables the document defines up front;
it must exit 0, and when a ```` ```json ```` block follows it, the output must be JSON of the
same shape with the same values (``request_id``, ``location``, ``ms`` and ``ts`` aside, which
differ every run).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from openrtm.protocol.tokens import build_token
from openrtm.server import AppSpec
from openrtm.server.config import RestCredential
from tests.conftest import APP_CERT, APP_ID, ClientFactory, ServerFactory, unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "rest-api.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
VARYING = frozenset({"request_id", "ms", "ts", "location"})


def examples() -> list[tuple[str, Any]]:
    """Every sh block of the document, with the JSON block right after it (or None)."""
    text = DOC.read_text()
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(text)]
    found = []
    for i, (lang, body, _, end) in enumerate(blocks):
        if lang != "sh":
            continue
        expected = None
        if i + 1 < len(blocks):
            next_lang, next_body, next_start, _ = blocks[i + 1]
            if next_lang == "json" and not text[end:next_start].strip():
                expected = json.loads(next_body)
        found.append((body, expected))
    return found


def same_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """Assert ``actual`` matches the example, except the values of :data:`VARYING` keys."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            if key in VARYING:
                assert type(actual[key]) is type(value), f"{where}.{key}"
            else:
                same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), f"{where}: {actual}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same_shape(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def test_the_document_has_an_example_per_endpoint() -> None:
    runs = [body for body, _ in examples()]
    for path in (
        "peer_messages",
        "channel_messages",
        "user_events",
        "channel_events",
        "history/query",
        "history/count",
    ):
        assert any(path in body for body in runs), path
    assert any("openrtm send" in body for body in runs)
    assert all("--fail-with-body" in body for body in runs if body.lstrip().startswith("curl"))


async def test_every_example_runs_verbatim(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    assert shutil.which("curl"), "curl is needed to run docs/rest-api.md's examples"
    server = await start_server(
        apps=(AppSpec(APP_ID, APP_CERT),),
        rest_credentials=(RestCredential("customer-1", "s3cret"),),
    )
    # The document's scene: bob is logged in and has joined channel "room". (Their events
    # are enqueued to the store's one writer before the examples' reads: the reads see them.)
    bob = make_client(server)
    await bob.login("bob", build_token(APP_ID, APP_CERT, "bob", expire=600, now=int(time.time())))
    await bob.create_channel("room").join()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "OPENRTM_HTTP": server.http_url.rstrip("/"),
        "APP_ID": APP_ID,
        "APP_CERTIFICATE": APP_CERT,
        "CUSTOMER_ID": "customer-1",
        "CUSTOMER_SECRET": "s3cret",
    }
    ran = 0
    for body, expected in examples():
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", body, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        out, err = await asyncio.wait_for(proc.communicate(), unit(30))
        assert proc.returncode == 0, f"{body}\nexit {proc.returncode}: {err.decode()}{out.decode()}"
        if expected is not None:
            same_shape(json.loads(out), expected)
        ran += 1
    assert ran >= 8
