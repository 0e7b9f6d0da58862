"""Liveness and readiness: ``GET /healthz`` and ``GET /readyz`` (for load balancers and probes)."""

from __future__ import annotations

from aiohttp import web

from openrtm.server.http.context import NODE

__all__ = ["setup"]


async def healthz(request: web.Request) -> web.Response:
    """200 whenever the process is up and serving HTTP."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 only while the store is open and the shared backends (Redis) answer: before
    start, while stopping and while Redis is unreachable, 503 (docs/deployment.md)."""
    node = request.app[NODE]
    if node.ready and (node.readiness is None or await node.readiness()):
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "not ready"}, status=503)


def setup(app: web.Application) -> None:
    """Add the health routes."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
