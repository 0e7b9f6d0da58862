"""Server configuration: defaults, a TOML file (``--config``) and command-line overrides.

A TOML file holds the same settings as the flags, plus the tunables that have no flag::

    host = "0.0.0.0"
    port = 8765
    http_port = 8766                          # default: port + 1
    public_url = "https://rtm.example.com/"   # the HTTP face as clients reach it (proxy)
    data = "/var/lib/openrtm"
    login_timeout = 10.0
    rest_credentials = ["CUSTOMER_ID:CUSTOMER_SECRET"]   # REST API, HTTP Basic (spec §7.1)
    media_max_bytes = 31457280                # uploads up to 30 MB (spec §5.2)
    media = "/srv/openrtm-media"              # media files; default <data>/media

    # Several nodes (docs/deployment.md): Broker, Presence and Store on one Redis.
    redis = "redis://:PASSWORD@redis.example.com:6379/0"   # or rediss:// (TLS)
    # or, on Redis Cluster (sharded PUB/SUB), its seed nodes instead of `redis`:
    # redis_cluster = ["redis://:PASSWORD@10.0.0.1:7000", "redis://:PASSWORD@10.0.0.2:7000"]
    presence_ttl = 15.0                       # seconds before a dead node's users go OFFLINE
    node_id = "rtm-1"                         # default: hostname-pid-random

    [[app]]
    id = "0123456789abcdef0123456789abcdef"
    certificate = "fedcba9876543210fedcba9876543210"   # omit for "App ID only" mode
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import socket
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openrtm.protocol.limits import (
    MAX_FRAME_BYTES,
    MAX_MEDIA_BYTES,
    MEDIA_RETENTION,
    MEDIA_STALL_TIMEOUT,
    RateLimit,
    is_valid_app_id,
)

__all__ = [
    "AppSpec",
    "ConfigError",
    "RestCredential",
    "ServerConfig",
    "default_node_id",
    "parse_app",
    "parse_rest_credential",
    "redact_url",
]

_CERTIFICATE = re.compile(r"[0-9A-Za-z]{32}")
_OPTIONAL_INTS = frozenset({"max_sessions", "max_sessions_per_app", "http_port"})
_OPTIONAL_STRS = frozenset({"public_url", "redis_url"})
# A node id is part of Redis keys and log lines: short, printable, no separators of its own.
_NODE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:)[^@]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*")


class ConfigError(ValueError):
    """A setting is malformed; the message names it."""


def default_node_id() -> str:
    """``<hostname>-<pid>-<random>``: unique per process, readable in logs and Redis keys.

    The random suffix keeps two processes apart that share a host name and a pid (containers).
    """
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "node"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: safe for a log line or an error.

    Both places redis-py reads one from: ``scheme://user:PASSWORD@host`` and ``?password=``.
    """
    url = _URL_PASSWORD.sub(r"\1***@", url)
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _check_cluster_urls(urls: tuple[str, ...]) -> None:
    for url in urls:
        if not isinstance(url, str):
            raise ConfigError("setting 'redis_cluster' must be a list of redis:// URLs")
        _check_redis_url(url)
        parts = urlsplit(url)
        if parts.scheme == "unix":
            raise ConfigError(
                f"invalid Redis Cluster seed {redact_url(url)!r}: a cluster is reached over TCP "
                "(redis://HOST:PORT or rediss://HOST:PORT)"
            )
        if parts.path.strip("/") not in ("", "0"):
            raise ConfigError(
                f"invalid Redis Cluster seed {redact_url(url)!r}: a cluster has only database 0"
            )


def _check_redis_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: {exc}") from None
    if parts.scheme not in _REDIS_SCHEMES:
        raise ConfigError(
            f"invalid Redis URL {redact_url(url)!r}: expected redis://HOST:PORT/DB, "
            "rediss://... (TLS) or unix:///PATH"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: no host")
    db = parts.path.strip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise ConfigError(f"invalid Redis URL {redact_url(url)!r}: the database must be a number")


@dataclass(frozen=True, slots=True)
class AppSpec:
    """One App the server accepts.

    Attributes:
        app_id: the 32-character App ID.
        certificate: the App Certificate; None is "App ID only" mode (no token needed).
    """

    app_id: str
    certificate: str | None = None


def parse_app(spec: str) -> AppSpec:
    """Parse ``APPID`` or ``APPID:CERTIFICATE`` as given to ``--app``."""
    app_id, _, certificate = spec.partition(":")
    return _app(app_id, certificate or None)


def _app(app_id: object, certificate: object) -> AppSpec:
    if not isinstance(app_id, str) or not is_valid_app_id(app_id):
        raise ConfigError(f"invalid App ID {app_id!r}: expected 32 letters and digits")
    if certificate is not None and (
        not isinstance(certificate, str) or not _CERTIFICATE.fullmatch(certificate)
    ):
        # Spec §8: the certificate is used as its 32-character ASCII text.
        raise ConfigError(f"invalid App Certificate for App {app_id}: expected 32 characters")
    return AppSpec(app_id, certificate)


@dataclass(frozen=True, slots=True)
class RestCredential:
    """A customer ID and secret that the REST API accepts with HTTP Basic (spec §7.1).

    Attributes:
        customer_id: the user name of HTTP Basic; never contains ``:``.
        secret: the password of HTTP Basic.
    """

    customer_id: str
    secret: str = dataclasses.field(repr=False)  # never in a log line or a traceback


def parse_rest_credential(spec: object) -> RestCredential:
    """Parse ``ID:SECRET`` as given to ``--rest-credentials`` or in ``rest_credentials``."""
    if not isinstance(spec, str):
        raise ConfigError("REST credentials must be strings of the form ID:SECRET")
    customer_id, colon, secret = spec.partition(":")
    if not colon or not customer_id or not secret:
        # The secret itself is not echoed: the message may end up in a log.
        raise ConfigError("REST credentials must be ID:SECRET with a non-empty ID and secret")
    return RestCredential(customer_id, secret)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything a node needs to start.

    Attributes:
        host: address the WebSocket endpoint listens on.
        port: its port; 0 picks a free one (tests).
        http_port: the port of the HTTP face (REST API, media, health, metrics); None is
            ``port + 1``, or a free one when ``port`` is 0.
        public_url: the HTTP face's base URL as clients reach it (behind a reverse proxy),
            told to SDKs at login; None: SDKs use the host they connected to and ``http_port``.
        data_dir: where the SQLite store lives.
        apps: the accepted Apps; empty is development mode (any well-formed App ID, no token).
        login_timeout: seconds a new connection has to log in before it is closed.
        shutdown_timeout: seconds a graceful stop waits for clients to take their close frames.
        timer_resolution: granularity of the shared timer facility, in seconds.
        max_frame_bytes: the largest WebSocket frame accepted from a client.
        max_write_buffer_bytes: a client whose unsent frames exceed this is disconnected as a
            slow consumer (design §6).
        peer_ack_timeout: seconds a peer message waits for the receiver's ack before the
            sender hears ``received: false`` (below the SDK's 10 s request timeout).
        member_count_interval: least seconds between ``member_count`` pushes (spec §6.8).
        member_count_interval_large: the same above 512 members.
        inbox_purge_interval: seconds between sweeps of expired offline messages (and of
            archived messages older than ``history_retention``).
        channel_attributes_ttl: seconds a channel keeps its attributes once it has no members
            (spec §6.7: "a couple of minutes").
        token_warning: seconds before a token's deadline that ``token_expiring`` is pushed
            (spec §6.10: 30).
        message_rate_calls: peer and channel messages a session may send (combined) in any
            ``message_rate_window`` seconds (spec §5.4: 180 in 3 s; Agora's Linux SDK: 1500).
        message_rate_window: that window, in seconds.
        max_sessions: logged-in sessions this node accepts; more logins are refused with
            code 2 instead of degrading everyone (None: no limit).
        max_sessions_per_app: the same for each App ID.
        keepalive_interval: seconds between keepalive sweeps: a connection silent for one
            sweep is pinged, one silent for ``keepalive_misses`` sweeps is dropped as dead.
        keepalive_misses: how many silent sweeps make a connection dead.
        session_grace: seconds a session whose link was lost waits to be resumed before the
            user is dropped (spec §3.3: 30); 0 ends it at once.
        unreachable_after: seconds of a lost link before followers see UNREACHABLE (§3.3: 6).
        resume_backlog: channel messages kept for a detached session (spec §6.4: 32).
        invitation_receipt_timeout: seconds an invitation has to reach the callee's SDK: then
            it fails with PEER_OFFLINE (never reached a session of the callee) or
            PEER_NO_RESPONSE (reached one that did not acknowledge it) (spec §1.5: 30).
        invitation_retry_interval: seconds between attempts to reach an offline callee.
        invitation_expiry: seconds after sending that an unanswered invitation expires on
            both sides (spec §1.5: 60).
        invitation_accept_timeout: seconds the caller's SDK has to acknowledge an acceptance
            before the callee's invitation fails with ACCEPT_FAILURE (spec §1.5: 5).
        max_outgoing_invitations: invitations one session may have open at once; more are
            refused (code 103) so that one client cannot fill the server's memory.
        rest_credentials: the customer credentials the REST API accepts with HTTP Basic
            (spec §7.1); none: only ``x-agora-token`` + ``x-agora-uid`` authenticate.
        rest_message_rate: REST peer and channel messages (combined) an App may send per
            second (spec §5.4: 500); more are answered 429.
        rest_events_rate: REST user and channel event reads (combined) per App per second
            (spec §5.4: 10).
        history_retention: seconds an archived message (spec §6.3) is kept before the sweeper
            deletes it; 0 keeps them forever. The spec leaves it unconfirmed; 30 days is one
            of the durations Agora's later message history offers (1, 7, 30, 90, 365 days).
        history_handle_ttl: seconds a REST history query handle and its result live after the
            query is created; then polling it answers 410 (spec §7.4).
        history_max_handles_per_app: live history query handles one App may hold; more
            queries are refused (REST 429) so that one client cannot fill the server's memory.
        history_rate_calls: REST history calls (query, poll and count combined) an App may
            make in any ``history_rate_window`` seconds (spec §5.4: 10 a second).
        history_rate_window: that window, in seconds.
        media_max_bytes: the largest media object an upload may carry (spec §5.2: 30 MB);
            larger is refused with SIZE_OVERFLOW (4).
        media_retention: seconds an uploaded object is served after its upload (spec §5.2:
            7 days); then its id is NOT_EXIST and the sweeper deletes it.
        media_stall_timeout: seconds a transfer may go without a byte moving before it is
            abandoned (spec §4.17: 120).
        media_purge_interval: seconds between sweeps that delete expired media objects.
        media_root: where media files live; None is ``<data_dir>/media``. With ``redis_url``
            every node must see the same directory (docs/deployment.md).
        redis_url: the Redis (or Valkey) that the nodes of a cluster share: ``redis://``,
            ``rediss://`` (TLS) or ``unix://``, password in the URL. None: one node on
            memory + SQLite (design §2).
        redis_cluster: instead of ``redis_url``, the seed nodes of a Redis Cluster (any of
            its masters, ``redis://HOST:PORT`` or ``rediss://``; the rest are discovered):
            sharded PUB/SUB, keys spread over the slots (docs/deployment.md).
        presence_ttl: seconds a node's liveness lasts in Redis without a renewal: when a node
            dies, its users go OFFLINE and leave their channels on the other nodes within it.
        node_id: this node's name in Redis and in logs; unique per running process.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    http_port: int | None = None
    public_url: str | None = None
    data_dir: Path = Path("openrtm-data")
    apps: tuple[AppSpec, ...] = ()
    login_timeout: float = 10.0
    shutdown_timeout: float = 5.0
    timer_resolution: float = 0.05
    max_frame_bytes: int = MAX_FRAME_BYTES
    max_write_buffer_bytes: int = 1024 * 1024
    peer_ack_timeout: float = 5.0
    member_count_interval: float = 1.0
    member_count_interval_large: float = 3.0
    inbox_purge_interval: float = 3600.0
    channel_attributes_ttl: float = 300.0
    token_warning: float = 30.0
    message_rate_calls: int = 180
    message_rate_window: float = 3.0
    max_sessions: int | None = None
    max_sessions_per_app: int | None = None
    keepalive_interval: float = 5.0
    keepalive_misses: int = 3
    session_grace: float = 30.0
    unreachable_after: float = 6.0
    resume_backlog: int = 32
    invitation_receipt_timeout: float = 30.0
    invitation_retry_interval: float = 1.0
    invitation_expiry: float = 60.0
    invitation_accept_timeout: float = 5.0
    max_outgoing_invitations: int = 64
    rest_credentials: tuple[RestCredential, ...] = ()
    rest_message_rate: int = 500
    rest_events_rate: int = 10
    history_retention: float = 30 * 24 * 3600.0
    history_handle_ttl: float = 300.0
    history_max_handles_per_app: int = 64
    history_rate_calls: int = 10
    history_rate_window: float = 1.0
    media_max_bytes: int = MAX_MEDIA_BYTES
    media_retention: float = MEDIA_RETENTION
    media_stall_timeout: float = MEDIA_STALL_TIMEOUT
    media_purge_interval: float = 3600.0
    media_root: Path | None = None
    redis_url: str | None = None
    redis_cluster: tuple[str, ...] = ()
    presence_ttl: float = 15.0
    node_id: str = dataclasses.field(default_factory=default_node_id)

    def __post_init__(self) -> None:
        url = self.public_url
        if url is not None and not url.startswith(("http://", "https://")):
            raise ConfigError(f"public_url must start with http:// or https://: {url!r}")
        if self.redis_url is not None:
            _check_redis_url(self.redis_url)
        if self.redis_cluster:
            if self.redis_url is not None:
                raise ConfigError(
                    "redis and redis_cluster (--redis, --redis-cluster) are mutually exclusive: "
                    "give one Redis URL, or the seed nodes of one Redis Cluster"
                )
            _check_cluster_urls(self.redis_cluster)
        if not self.presence_ttl >= 1.0:
            # Renewed a few times per TTL: below a second, one slow Redis reply looks like death.
            raise ConfigError(f"presence_ttl must be at least 1 second: {self.presence_ttl!r}")
        if not _NODE_ID.fullmatch(self.node_id):
            raise ConfigError(
                f"invalid node id {self.node_id!r}: expected 1 to 64 letters, digits, '.', '_', '-'"
            )

    @property
    def clustered(self) -> bool:
        """True when the engine and the store live on Redis, shared with other nodes."""
        return self.redis_url is not None or bool(self.redis_cluster)

    @property
    def dev_mode(self) -> bool:
        """True when no App is configured: any well-formed App ID logs in without a token."""
        return not self.apps

    @property
    def http_port_to_bind(self) -> int:
        """The HTTP face's port: ``http_port``, else the WebSocket port + 1 (0 stays 0)."""
        if self.http_port is not None:
            return self.http_port
        return self.port + 1 if self.port else 0

    @property
    def message_rate(self) -> RateLimit:
        """The combined peer and channel message budget of one session (spec §5.4)."""
        return RateLimit(self.message_rate_calls, self.message_rate_window)

    @property
    def history_rate(self) -> RateLimit:
        """An App's budget of REST history calls (spec §5.4)."""
        return RateLimit(self.history_rate_calls, self.history_rate_window)

    @property
    def media_dir(self) -> Path:
        """Where uploaded media objects live: ``media_root``, else ``<data_dir>/media``."""
        return self.media_root if self.media_root is not None else self.data_dir / "media"

    @property
    def store_path(self) -> Path:
        """The SQLite database file inside ``data_dir``."""
        return self.data_dir / "openrtm.sqlite3"

    def replace(self, **changes: Any) -> ServerConfig:
        """Return a copy with ``changes`` applied; None values are ignored (unset flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_toml(cls, path: str | Path) -> ServerConfig:
        """Load a TOML configuration file (see the module docstring)."""
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        return cls.from_mapping(raw)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> ServerConfig:
        """Build a configuration from parsed TOML, refusing unknown keys."""
        raw = dict(raw)
        apps = tuple(
            _app(a.get("id"), a.get("certificate")) if isinstance(a, dict) else _app(a, None)
            for a in raw.pop("app", [])
        )
        credentials = raw.pop("rest_credentials", [])
        if not isinstance(credentials, list):
            raise ConfigError("setting 'rest_credentials' must be a list of ID:SECRET strings")
        rest_credentials = tuple(parse_rest_credential(c) for c in credentials)
        for key, field in (("data", "data_dir"), ("media", "media_root")):
            if key in raw:
                if not isinstance(raw[key], str):
                    raise ConfigError(f"setting {key!r} must be str")
                raw[field] = Path(raw.pop(key))
        if "redis" in raw:
            if not isinstance(raw["redis"], str):
                raise ConfigError("setting 'redis' must be str (a redis:// URL)")
            raw["redis_url"] = raw.pop("redis")
        if "redis_cluster" in raw:
            seeds = raw["redis_cluster"]
            if isinstance(seeds, str):
                seeds = [seeds]
            if not isinstance(seeds, list) or not all(isinstance(u, str) for u in seeds):
                raise ConfigError("setting 'redis_cluster' must be a list of redis:// URLs")
            raw["redis_cluster"] = tuple(seeds)
        known = {f.name for f in dataclasses.fields(cls)} - {"apps", "rest_credentials"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) in config file: {', '.join(unknown)}")
        for name, value in raw.items():
            if name == "redis_cluster":
                continue  # checked above
            if name in _OPTIONAL_INTS:
                if not isinstance(value, int):
                    raise ConfigError(f"setting {name!r} must be int")
                continue
            if name in _OPTIONAL_STRS:
                if not isinstance(value, str):
                    raise ConfigError(f"setting {name!r} must be str")
                continue
            expected = type(getattr(cls(), name))
            if expected is float and isinstance(value, int):
                raw[name] = float(value)
            elif not isinstance(value, expected) and not isinstance(value, Path):
                raise ConfigError(f"setting {name!r} must be {expected.__name__}")
        return cls(apps=apps, rest_credentials=rest_credentials, **raw)
