"""The ``openrtm`` command line (design §5): ``serve``, ``token`` and ``send``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

try:
    import uvloop
except ImportError:  # uvloop is not available on Windows
    uvloop = None  # type: ignore[assignment]

from openrtm import cli_send as send_command
from openrtm._version import VERSION
from openrtm.engines.base import EngineUnavailable
from openrtm.protocol.tokens import TokenFormat, build_token
from openrtm.server.backends import BackendError
from openrtm.server.config import (
    ConfigError,
    ServerConfig,
    parse_app,
    parse_rest_credential,
    redact_url,
)
from openrtm.server.gateway import PICOWS_LOGGER
from openrtm.server.runner import Server
from openrtm.store.base import StoreError

__all__ = ["main"]

log = logging.getLogger("openrtm")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openrtm", description="openrtm " + VERSION)
    parser.add_argument("--version", action="version", version=f"openrtm {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="WebSocket port (default 8765; 0 picks one)")
    serve.add_argument("--data", type=Path, help="data directory (default ./openrtm-data)")
    serve.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="APPID[:CERTIFICATE]",
        help="accept this App; with a certificate, tokens are required (repeatable)",
    )
    serve.add_argument(
        "--http-port", type=int, help="HTTP port: REST API, media, metrics (default PORT+1)"
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the HTTP face's base URL as clients reach it, e.g. behind a reverse proxy",
    )
    serve.add_argument(
        "--rest-credentials",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="customer credentials the REST API accepts with HTTP Basic (repeatable; "
        "a TOML file keeps the secret out of the process list)",
    )
    serve.add_argument(
        "--media-dir",
        type=Path,
        help="media files (default DATA/media); with --redis, a directory every node shares",
    )
    cluster = serve.add_argument_group(
        "several nodes", "share Broker, Presence and Store on Redis (docs/deployment.md)"
    )
    cluster.add_argument(
        "--redis",
        metavar="URL",
        help="redis://[:PASSWORD@]HOST:PORT/DB, rediss://... (TLS) or unix:///PATH; "
        "without it: one node on memory + SQLite",
    )
    cluster.add_argument(
        "--redis-cluster",
        action="append",
        default=[],
        metavar="URL",
        help="instead of --redis: a seed node of a Redis Cluster, redis://[:PASSWORD@]HOST:PORT "
        "or rediss://... (repeatable, or a comma-separated list); sharded PUB/SUB",
    )
    cluster.add_argument(
        "--presence-ttl",
        type=float,
        metavar="SECONDS",
        help="a dead node's users go OFFLINE and leave their channels within this (default 15)",
    )
    cluster.add_argument(
        "--node-id",
        metavar="ID",
        help="this node's name in Redis and logs (default HOSTNAME-PID-RANDOM)",
    )
    serve.add_argument("--config", type=Path, help="TOML configuration file")
    serve.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")

    token = commands.add_parser("token", help="print an RTM token")
    token.add_argument("--app-id", required=True)
    token.add_argument("--app-certificate", required=True)
    token.add_argument("--uid", required=True)
    token.add_argument("--expire", type=int, default=3600, help="lifetime in seconds")
    token.add_argument("--format", choices=["007", "006"], default="007")

    send_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "token":
        return _token(args)
    if args.command == "send":
        return send_command.run(args)
    return _serve(args)


def _token(args: argparse.Namespace) -> int:
    try:
        parse_app(f"{args.app_id}:{args.app_certificate}")  # the server's own checks
        token = build_token(
            args.app_id,
            args.app_certificate,
            args.uid,
            expire=args.expire,
            fmt=TokenFormat(args.format),
            now=int(time.time()),
        )
    except ValueError as exc:
        print(f"openrtm token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _serve(args: argparse.Namespace) -> int:
    level = logging.getLevelName(args.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # picows logs every connection and disconnection at INFO: at thousands of logins a second
    # that is most of a login's cost (docs/benchmarks.md). Shown with --log-level debug.
    picows_level = level if level <= logging.DEBUG else max(level, logging.WARNING)
    logging.getLogger(PICOWS_LOGGER).setLevel(picows_level)
    try:
        config = ServerConfig.from_toml(args.config) if args.config else ServerConfig()
        apps = tuple(parse_app(a) for a in args.app) or None
        credentials = tuple(parse_rest_credential(c) for c in args.rest_credentials) or None
        seeds = tuple(
            dict.fromkeys(
                u.strip() for arg in args.redis_cluster for u in arg.split(",") if u.strip()
            )
        )
        config = config.replace(
            host=args.host,
            port=args.port,
            http_port=args.http_port,
            public_url=args.public_url,
            data_dir=args.data,
            media_root=args.media_dir,
            redis_url=args.redis,
            redis_cluster=seeds or None,
            presence_ttl=args.presence_ttl,
            node_id=args.node_id,
            apps=apps,
            rest_credentials=credentials,
        )
    except ConfigError as exc:
        print(f"openrtm serve: {exc}", file=sys.stderr)
        return 2
    try:
        if uvloop is not None:
            uvloop.run(_run(config))
        else:
            asyncio.run(_run(config))
    except (OSError, BackendError, EngineUnavailable, StoreError) as exc:
        # One line, no traceback: a port in use, an unreachable or refusing Redis (also if it
        # went away between the check and the engine's or the store's start).
        print(f"openrtm serve: {exc}", file=sys.stderr)
        return 1
    return 0


# The cyclic collector's thresholds for a server process (gen0 default: 700). Every
# connection keeps a dozen containers alive for its whole life, so with the default a young
# collection runs every few logins and promotes them, and full collections keep rescanning
# every idle connection: ~12% of a login's CPU in a profile (docs/benchmarks.md).
_GC_THRESHOLDS = (20_000, 20, 20)


# What the HTTP face serves, as `openrtm serve` lists it at start (design §5).
_HTTP_PATHS = (
    ("health", "healthz"),
    ("readiness", "readyz"),
    ("REST API", "dev/v2/project/{appid}/"),
    ("OpenAPI", "openapi.json"),
    ("media", "media"),
    ("metrics", "metrics"),
    ("browser SDK", "sdk/agora-rtm-sdk.js"),
    ("demo app", ""),
)


async def _run(config: ServerConfig) -> None:
    server = Server(config)
    await server.start()
    # Before the banner: whoever reads it may stop the server at once, gracefully.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # What exists now (modules, the server's own objects) lives as long as the process: keep
    # it out of every future collection.
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    if config.dev_mode:
        log.warning(
            "development mode: no --app given, so any well-formed App ID may log in without "
            "a token; pass --app APPID[:CERTIFICATE] in production"
        )
    print(f"openrtm {VERSION} serving WebSocket {server.url}", flush=True)
    for what, path in _HTTP_PATHS:
        print(f"{what}: {server.http_url}{path}", flush=True)
    if config.public_url is not None:
        print(f"public HTTP URL told to clients: {config.public_url}", flush=True)
    if config.clustered:
        # Several nodes: "data:" (the banner's last line) names the shared Redis.
        print(f"node: {config.node_id}", flush=True)
        print(f"media files: {config.media_dir}", flush=True)
        if config.redis_url is not None:
            where = f"Redis {redact_url(config.redis_url)}"
        else:
            seeds = ", ".join(redact_url(u) for u in config.redis_cluster)
            where = f"Redis Cluster (seeds {seeds}; sharded PUB/SUB)"
        print(f"data: {where} (presence TTL {config.presence_ttl:g} s)", flush=True)
    else:
        print(f"data: {config.store_path}", flush=True)
    await stop.wait()
    log.info("stopping: closing connections")
    await server.stop()
    print("openrtm stopped", flush=True)
