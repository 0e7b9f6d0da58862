"""``openrtm send``: one peer or channel message through a running server's REST API.

For scripts and smoke tests (docs/rest-api.md)::

    openrtm send --url http://127.0.0.1:8766/ --app-id APPID --from alice --to bob hello
    openrtm send --app-id APPID --from alice --channel room --credentials ID:SECRET hello

It prints the server's JSON answer on stdout and exits 0 when the answer's ``result`` is
``success``; otherwise it prints one line on stderr and exits 1 (2 for bad arguments). With
``--credentials`` (or ``OPENRTM_REST_CREDENTIALS``) it authenticates with HTTP Basic; with
``--token`` (which wins over the environment variable) as ``x-agora-token`` +
``x-agora-uid``; with neither by ``x-agora-uid`` alone, which an App-ID-only App or a
development-mode server accepts (spec §7.1).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

__all__ = ["add_parser", "run"]

DEFAULT_URL = "http://127.0.0.1:8766/"
"""The HTTP face of ``openrtm serve`` with its default ports."""


def add_parser(commands: Any) -> None:
    """Add the ``send`` subcommand to the ``openrtm`` parser's subparsers."""
    send = commands.add_parser(
        "send",
        help="send a peer or channel message through the REST API of a running server",
        description="Send a TEXT message as --from through the REST API (spec §7.2, §7.3).",
    )
    send.add_argument(
        "--url",
        default=os.environ.get("OPENRTM_HTTP", DEFAULT_URL),
        help=f"the server's HTTP face (default $OPENRTM_HTTP, else {DEFAULT_URL})",
    )
    send.add_argument("--app-id", required=True)
    send.add_argument("--from", dest="sender", required=True, metavar="UID", help="the sender")
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="UID", help="a peer message to this user")
    target.add_argument("--channel", metavar="CHANNEL", help="a channel message")
    send.add_argument(
        "--offline", action="store_true", help="store it if the peer is offline (peer only)"
    )
    send.add_argument("--history", action="store_true", help="archive it for the history API")
    send.add_argument(
        "--wait-for-ack",
        action="store_true",
        help="answer once the peer's SDK acknowledged it (peer only)",
    )
    auth = send.add_mutually_exclusive_group()
    auth.add_argument(
        "--credentials",
        metavar="ID:SECRET",
        default=os.environ.get("OPENRTM_REST_CREDENTIALS"),
        help="customer credentials, HTTP Basic (default $OPENRTM_REST_CREDENTIALS)",
    )
    auth.add_argument("--token", help="an RTM token for --from (x-agora-token)")
    send.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    send.add_argument("text", metavar="TEXT", help="the message")


def run(args: argparse.Namespace) -> int:
    """Send the message ``args`` describe; returns the exit status."""
    if args.channel is not None and (args.offline or args.wait_for_ack):
        return _fail("--offline and --wait-for-ack apply to peer messages (--to) only", 2)
    sender = urllib.parse.quote(args.sender, safe="")
    base = args.url.rstrip("/") + f"/dev/v2/project/{urllib.parse.quote(args.app_id, safe='')}"
    body: dict[str, object]
    if args.to is not None:
        url = f"{base}/rtm/users/{sender}/peer_messages"
        if args.wait_for_ack:
            url += "?wait_for_ack=true"
        body = {
            "destination": args.to,
            "payload": args.text,
            "enable_offline_messaging": args.offline,
            "enable_historical_messaging": args.history,
        }
    else:
        url = f"{base}/rtm/users/{sender}/channel_messages"
        body = {
            "channel_name": args.channel,
            "payload": args.text,
            "enable_historical_messaging": args.history,
        }
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if args.token is None and args.credentials is not None:
        if ":" not in args.credentials:
            return _fail("--credentials must be ID:SECRET", 2)
        encoded = base64.b64encode(args.credentials.encode()).decode()
        headers["Authorization"] = f"Basic {encoded}"
    else:
        headers["x-agora-uid"] = args.sender
        if args.token is not None:
            headers["x-agora-token"] = args.token
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    return _send(request, args.timeout)


def _send(request: urllib.request.Request, timeout: float) -> int:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        try:
            error = json.loads(detail)
            detail = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = detail.strip()[:200] or str(exc.reason)
        return _fail(f"HTTP {exc.code} {detail}", 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return _fail(f"cannot reach {request.full_url.split('/dev/')[0]}/: {reason}", 1)
    print(text, flush=True)
    try:
        answer = json.loads(text)
    except ValueError:
        return _fail("the server's answer is not json", 1)
    if isinstance(answer, dict) and answer.get("result") == "success":
        return 0
    code = answer.get("code") if isinstance(answer, dict) else None
    return _fail(f"not sent: {code or 'failed'}", 1)


def _fail(message: str, status: int) -> int:
    print(f"openrtm send: {message}", file=sys.stderr)
    return status
