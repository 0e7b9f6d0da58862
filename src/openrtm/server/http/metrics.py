"""``GET /metrics``: what an operator watches, in the Prometheus text format (docs/operations.md).

Nothing here runs on the WebSocket message path. The counts are kept where the work happens, as
plain ints on objects that path already has (a prometheus ``Counter.inc()`` per message would be
a lock and several calls), or they are state the server keeps anyway: the open connections, the
sessions by App, each session's delivery number. :class:`NodeCollector` reads them when
Prometheus scrapes. Each node's HTTP face has its own :class:`~prometheus_client.CollectorRegistry`,
never the process-wide default one, so that two servers in one process (the tests) never share a
count.

REST and other HTTP requests are counted by a middleware, labelled with the matched route's
template (``/dev/v2/project/{appid}/...``), never the raw path: a scanner trying paths adds one
``unmatched`` series, not one per path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from openrtm._version import VERSION
from openrtm.server.http.context import NODE
from openrtm.server.node import Node

__all__ = ["REGISTRY", "REQUESTS", "UNMATCHED", "NodeCollector", "RequestCounts", "setup"]

UNMATCHED = "unmatched"
"""The ``endpoint`` label of a request that no route matched (404, 405)."""

# The methods counted under their own name; any other (a client may send any token) is
# "other", so that the method label stays as small as the endpoint label.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestCounts:
    """HTTP requests answered by the HTTP face, by (endpoint, method, status)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}

    def add(self, request: web.Request, status: int) -> None:
        """Count one answered request."""
        resource = request.match_info.route.resource
        endpoint = UNMATCHED if resource is None else resource.canonical
        method = request.method if request.method in _METHODS else "other"
        key = (endpoint, method, str(status))
        self.counts[key] = self.counts.get(key, 0) + 1


REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
"""The HTTP face's own registry: what ``GET /metrics`` exposes."""

REQUESTS = web.AppKey("metrics_requests", RequestCounts)
"""The HTTP face's request counts."""


class NodeCollector:
    """Reads a node's counts and state when the registry is scraped.

    Args:
        node: the node whose metrics these are.
        requests: the HTTP face's request counts.
    """

    def __init__(self, node: Node, requests: RequestCounts) -> None:
        self._node = node
        self._requests = requests

    def collect(self) -> Iterator[Metric]:
        """The node's metric families, as of now (docs/operations.md lists them)."""
        node = self._node
        yield InfoMetricFamily("openrtm_build", "The openrtm version.", value={"version": VERSION})
        yield GaugeMetricFamily(
            "openrtm_connections",
            "Open WebSocket connections, logged in or not.",
            value=len(node.hub.connections),
        )
        sessions = GaugeMetricFamily(
            "openrtm_sessions",
            "Logged-in sessions on this node by App, lost links within their grace included.",
            labels=["app_id"],
        )
        for app_id, count in sorted(node.hub.users_by_app().items()):
            sessions.add_metric([app_id], count)
        yield sessions
        yield from self._logins()
        yield from self._messages()
        commit = getattr(node.store, "commit_seconds", None)
        if isinstance(commit, Histogram):  # the SQLite store's; another store may have none
            yield from commit.collect()
        yield from self._media()
        yield self._http_requests()

    def _logins(self) -> Iterator[Metric]:
        login = self._node.login
        yield CounterMetricFamily(
            "openrtm_logins", "Logins completed (resumes not included).", value=login.logins
        )
        yield CounterMetricFamily(
            "openrtm_session_resumes",
            "Sessions resumed by a new connection after a lost link (spec §3.3).",
            value=login.resumes,
        )
        failures = CounterMetricFamily(
            "openrtm_login_failures",
            "Logins refused, by the error code the client was told (spec §4.1).",
            labels=["code", "reason"],
        )
        for code, count in sorted(login.failures.items()):
            failures.add_metric([str(code.value), code.name], count)
        yield failures

    def _messages(self) -> Iterator[Metric]:
        node = self._node
        peers, channels = node.peers, node.channels
        messages = CounterMetricFamily(
            "openrtm_messages",
            "Messages by kind: sent by this node's sessions (peer, channel), committed to an "
            "offline inbox (offline_stored), pushed from an inbox (offline_replayed).",
            labels=["kind"],
        )
        messages.add_metric(["peer"], peers.sent)
        messages.add_metric(["channel"], channels.sent)
        messages.add_metric(["offline_stored"], peers.stored)
        messages.add_metric(["offline_replayed"], peers.replayed)
        yield messages
        deliveries = CounterMetricFamily(
            "openrtm_deliveries",
            "Message frames pushed to this node's sessions: one per receiver (peer, inbox "
            "replays included) or per channel member reached (channel).",
            labels=["kind"],
        )
        deliveries.add_metric(["peer"], node.peer_deliveries())
        deliveries.add_metric(["channel"], channels.delivered)
        yield deliveries
        yield CounterMetricFamily(
            "openrtm_peer_receipt_timeouts",
            "Peer messages pushed whose receipt did not come in time: the sender was told "
            "received: false.",
            value=peers.receipts_timed_out,
        )
        yield CounterMetricFamily(
            "openrtm_slow_consumer_kicks",
            "Connections cut because their unsent frames passed the write-buffer limit.",
            value=node.slow_consumer_kicks,
        )

    def _media(self) -> Iterator[Metric]:
        # The media service keeps plain int counts of the bytes it streams.
        media = self._node.media
        transferred = CounterMetricFamily(
            "openrtm_media_bytes",
            "File and image bytes uploaded to (in) and downloaded from (out) this node.",
            labels=["direction"],
        )
        transferred.add_metric(["in"], media.bytes_in)
        transferred.add_metric(["out"], media.bytes_out)
        yield transferred

    def _http_requests(self) -> Metric:
        requests = CounterMetricFamily(
            "openrtm_http_requests",
            "HTTP requests answered, by route template (unmatched: no route), method and status.",
            labels=["endpoint", "method", "status"],
        )
        for labels, count in sorted(self._requests.counts.items()):
            requests.add_metric(list(labels), count)
        return requests


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _count_requests(request: web.Request, handler: _Handler) -> web.StreamResponse:
    # A request whose client went away before the answer (CancelledError) is not counted.
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        request.app[REQUESTS].add(request, exc.status)
        raise
    request.app[REQUESTS].add(request, response.status)
    return response


async def metrics(request: web.Request) -> web.Response:
    """The registry in the format the scraper asks for (Prometheus text or OpenMetrics)."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encoder(request.app[REGISTRY]), headers={"Content-Type": content_type})


def setup(app: web.Application) -> None:
    """Add ``GET /metrics``, its registry and the request-counting middleware."""
    requests = RequestCounts()
    registry = CollectorRegistry()
    registry.register(NodeCollector(app[NODE], requests))
    # The usual process and interpreter series (CPU, memory, file descriptors, GC), which the
    # default registry would have: the process is the node, so they are this node's.
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    app[REGISTRY] = registry
    app[REQUESTS] = requests
    # Outermost, so that it sees the status of every answer: the 500 the face's own
    # middleware makes of a handler's bug included.
    app.middlewares.insert(0, _count_requests)
    app.router.add_get("/metrics", metrics)
