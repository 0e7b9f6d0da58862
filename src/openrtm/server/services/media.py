"""Media objects of FILE and IMAGE messages: tickets, transfer slots, files, retention.

Spec §1.2, §1.6, §4.16, §5.2 (≤ 1.4.x). The HTTP face (:mod:`openrtm.server.http.media`) moves
the bytes; this service owns everything else:

- **Tickets.** A login session's media ticket is ``<claims>.<mac>``: its App ID, uid and
  session id, signed with HMAC-SHA256 under a key drawn at start. Nothing is kept per session
  (idle sessions must be cheap, design §6): a ticket is valid while the Hub holds a live
  session (LOGGED_IN or DETACHED) with that id, so it survives a resume and dies with a logout,
  a kick, a newer login of the same user or a restart.
- **Transfer slots.** At most :data:`~openrtm.protocol.limits.MAX_CONCURRENT_TRANSFERS`
  uploads and downloads at once per session (spec §5.2); only sessions with transfers under
  way have an entry.
- **Files.** An object is ``<data>/media/<app_id>/<media_id>``. An upload is written to
  ``<data>/media/tmp``, fsynced, renamed into place, and only then recorded in the store, so
  that a crash leaves a temporary file or a file with no record, never a record without its
  bytes; :meth:`MediaService.start` removes both kinds of leftover. Nodes on one Redis share
  the media directory (docs/deployment.md): there a leftover is only a file untouched for
  twice the stall timeout, since a younger one may be another node's upload under way.
- **Retention.** A record expires ``media_retention`` seconds after its upload (spec §5.2:
  7 days) and is served no more; a sweeper deletes expired records, then their files.
- **Counters.** :attr:`MediaService.bytes_in` and :attr:`MediaService.bytes_out`, plain ints
  that metrics read when scraped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import filetype  # type: ignore[import-untyped]
import imagesize  # type: ignore[import-untyped]
import msgspec

from openrtm.protocol.limits import MAX_CONCURRENT_TRANSFERS, is_valid_app_id, is_valid_media_id
from openrtm.protocol.media import CONTENT_TYPES_WITH_SIZES
from openrtm.server.session import DETACHED, LOGGED_IN
from openrtm.server.timers import now_ms
from openrtm.store.base import MediaRecord

if TYPE_CHECKING:
    from openrtm.server.node import Node
    from openrtm.server.session import Session

__all__ = ["MediaService", "TempUpload"]

log = logging.getLogger("openrtm.media")

_DEFAULT_TYPE = "application/octet-stream"
# filetype reads at most this much of the head (its own constant, 8 KiB).
SNIFF_BYTES = 8192
# Longer than any ticket this service makes: a header that long is refused unread.
_MAX_TICKET_CHARS = 512
_claims_decoder = msgspec.json.Decoder(tuple[str, str, str])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TicketHolder(Protocol):
    """Whose media ticket a request carries: a :class:`Session` here, or another node's."""

    @property
    def app_id(self) -> str: ...

    @property
    def uid(self) -> str: ...

    @property
    def session_id(self) -> str: ...


class RemoteHolder(msgspec.Struct, frozen=True, kw_only=True):
    """A live session of another node, known by its ticket (checked with Presence)."""

    app_id: str
    uid: str
    session_id: str


_TICKET_KEY = "media-ticket"


class TempUpload:
    """An upload being written to a temporary file; removed unless :meth:`MediaService.keep`
    moves it into place.

    Attributes:
        path: the temporary file.
        size: bytes written so far.
        head: the first bytes (up to 8 KiB), for sniffing the type without reading again.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.head = b""
        self._file = open(path, "wb")  # noqa: SIM115 -- closed by finish() or discard()

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``. A write to the page cache: short enough for the event loop."""
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self._file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> None:
        """Flush and fsync the file, then close it (blocking: run it in a thread)."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def discard(self) -> None:
        """Close and remove the file; what an upload that did not finish leaves: nothing."""
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class MediaService:
    """The media objects of one node (see the module docstring).

    Attributes:
        bytes_in: bytes received by uploads since start, finished or not.
        bytes_out: bytes sent by downloads since start.
    """

    def __init__(self, node: Node) -> None:
        self._node = node
        self._key = secrets.token_bytes(32)
        self._root = node.config.media_dir
        self._tmp = self._root / "tmp"
        # Alone, every file without a record at start is a leftover of this node. Sharing the
        # directory, an upload of another node is written (at least once per stall timeout)
        # and then renamed and recorded within moments: only older files are leftovers.
        config = node.config
        self._leftover_age = 2 * config.media_stall_timeout if config.clustered else 0.0
        self._transfers: dict[str, int] = {}
        self.bytes_in = 0
        self.bytes_out = 0

    # --- tickets ---------------------------------------------------------------------------

    def ticket(self, session: Session) -> str:
        """The media ticket of ``session`` (the same for the session's whole life)."""
        claims = _b64(msgspec.json.encode((session.app_id, session.uid, session.session_id)))
        return f"{claims}.{self._mac(claims)}"

    def _mac(self, claims: str) -> str:
        digest = hmac.new(self._key, claims.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest)

    async def holder_for(self, ticket: str) -> TicketHolder | None:
        """The live session ``ticket`` belongs to, or None (forged, malformed or stale).

        A session of this node is found in the Hub. In a cluster the ticket may be another
        node's (the key is shared: :meth:`start`), and the session is then checked with the
        engine's Presence, which knows every live session (docs/deployment.md).

        Raises:
            EngineUnavailable: a session of another node could not be checked now.
        """
        if len(ticket) > _MAX_TICKET_CHARS or not ticket.isascii():
            return None  # hmac.compare_digest refuses non-ASCII strings
        claims, _, mac = ticket.partition(".")
        try:
            if not hmac.compare_digest(mac, self._mac(claims)):
                return None
            app_id, uid, session_id = _claims_decoder.decode(_unb64(claims))
        except (binascii.Error, msgspec.DecodeError, ValueError):
            return None
        session = self._node.hub.user(app_id, uid)
        if session is not None and session.session_id == session_id:
            if session.state is LOGGED_IN or session.state is DETACHED:
                return session
            return None
        if not self._node.config.clustered:
            return None
        if await self._node.presence.session_of(app_id, uid) != session_id:
            return None
        return RemoteHolder(app_id=app_id, uid=uid, session_id=session_id)

    # --- transfer slots (spec §5.2: at most 9 per client) ------------------------------------

    def acquire(self, session: TicketHolder) -> bool:
        """Take a transfer slot of ``session``; False when all are in use."""
        key = session.session_id
        count = self._transfers.get(key, 0)
        if count >= MAX_CONCURRENT_TRANSFERS:
            return False
        self._transfers[key] = count + 1
        return True

    def release(self, session: TicketHolder) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        key = session.session_id
        count = self._transfers[key] - 1
        if count:
            self._transfers[key] = count
        else:
            del self._transfers[key]

    # --- objects -----------------------------------------------------------------------------

    def path(self, app_id: str, media_id: str) -> Path:
        """Where the object ``media_id`` of ``app_id`` lives (both checked by the callers)."""
        return self._root / app_id / media_id

    def temp_upload(self) -> TempUpload:
        """Start an upload in a new temporary file."""
        return TempUpload(self._tmp / f"{secrets.token_hex(16)}.part")

    async def keep(self, session: TicketHolder, upload: TempUpload) -> MediaRecord:
        """Make a finished upload an object of the session's App and record it.

        Sniffs the type from the head (``filetype``), reads an image's size from its header
        (``imagesize``, for PNG, JPEG, GIF and BMP only), fsyncs, renames into place, then
        commits the record. On failure the temporary file is removed.
        """
        loop = asyncio.get_running_loop()
        media_id = secrets.token_urlsafe(24)  # 32 characters, 192 random bits
        target = self.path(session.app_id, media_id)
        try:
            content_type = filetype.guess_mime(upload.head) or _DEFAULT_TYPE
            width, height = await loop.run_in_executor(None, _finish, upload, target, content_type)
        except BaseException:
            upload.discard()
            raise
        created = now_ms()
        record = MediaRecord(
            media_id=media_id,
            size=upload.size,
            content_type=content_type,
            width=width,
            height=height,
            uploader=session.uid,
            created_ms=created,
            expires_ms=created + int(self._node.config.media_retention * 1000),
        )
        try:
            await self._node.store.media_put(session.app_id, record)
        except BaseException:
            # Not recorded: not served either. Removed now, or at the next start.
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        return record

    async def find(self, app_id: str, media_id: str) -> tuple[MediaRecord, Path] | None:
        """The unexpired object ``media_id`` of ``app_id`` and its file, or None."""
        if not is_valid_media_id(media_id):
            return None
        record = await self._node.store.media_get(app_id, media_id, now_ms())
        if record is None:
            return None
        return record, self.path(app_id, media_id)

    # --- start and retention ------------------------------------------------------------------

    async def start(self) -> None:
        """Remove what a crash left (temporary files, files with no record), start the
        sweeper. Called by the Node once the store is open."""
        # The ticket key: one for every node on the store, so that a ticket issued at login
        # on one node is good on any node's HTTP face (issue #15; Store.secret).
        self._key = await self._node.store.secret(_TICKET_KEY)
        known = await self._node.store.media_ids()
        loop = asyncio.get_running_loop()
        removed = await loop.run_in_executor(None, self._clean, known, time.time())
        if removed:
            log.info("removed %d unfinished or unrecorded media files", removed)
        self._schedule_purge()

    def _clean(self, known: set[tuple[str, str]], now: float) -> int:
        self._tmp.mkdir(parents=True, exist_ok=True)
        removed = 0
        for leftover in self._tmp.iterdir():
            if self._is_leftover(leftover, now):
                removed += 1
        for app_dir in self._root.iterdir():
            if app_dir == self._tmp or not app_dir.is_dir():
                continue
            for file in app_dir.iterdir():
                if (app_dir.name, file.name) not in known and self._is_leftover(file, now):
                    removed += 1
        return removed

    def _is_leftover(self, path: Path, now: float) -> bool:
        """Remove ``path`` if it is old enough to be nobody's upload; whether it was."""
        try:
            if self._leftover_age and now - path.stat().st_mtime < self._leftover_age:
                return False
            path.unlink()
        except OSError:
            return False
        return True

    def _schedule_purge(self) -> None:
        self._node.timers.call_later(
            self._node.config.media_purge_interval, lambda: self._node.spawn(self._sweep())
        )

    async def _sweep(self) -> None:
        try:
            await self.purge()
        finally:
            if self._node.ready:
                self._schedule_purge()

    async def purge(self) -> int:
        """Delete every expired object, record then file; return how many."""
        loop = asyncio.get_running_loop()
        purged = 0
        while True:
            expired = await self._node.store.media_take_expired(now_ms())
            if not expired:
                break
            # Keys from the store, checked again before they become paths.
            paths = [
                self.path(app_id, media_id)
                for app_id, media_id in expired
                if is_valid_app_id(app_id) and is_valid_media_id(media_id)
            ]
            await loop.run_in_executor(None, _unlink_all, paths)
            purged += len(expired)
        if purged:
            log.info("purged %d expired media objects", purged)
        return purged


def _finish(upload: TempUpload, target: Path, content_type: str) -> tuple[int, int]:
    """In a thread: read an image's size, fsync, rename into place, fsync the directory."""
    upload.finish()
    width = height = 0
    if content_type in CONTENT_TYPES_WITH_SIZES:
        # imagesize reads the header only; it is given a path, never a URL.
        found = imagesize.get(upload.path)
        if found[0] > 0 and found[1] > 0:
            width, height = int(found[0]), int(found[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(upload.path, target)
    # The rename is durable once the directory is: only then is the record committed.
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return width, height


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
