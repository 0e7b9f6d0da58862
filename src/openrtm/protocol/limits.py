"""Limits of Agora RTM 1.x and the validators that enforce them (spec §5).

The server enforces every limit (it is authoritative); the SDKs call the same validators before
sending so that a well-behaved app learns of a mistake without a round trip, with the same code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openrtm.protocol.codes import MessageType

if TYPE_CHECKING:
    from openrtm.protocol.messages import Message

__all__ = [
    "APP_ID_PATTERN",
    "CHANNEL_ATTRIBUTE_READ_RATE",
    "CHANNEL_ATTRIBUTE_WRITE_RATE",
    "END_CALL_PREFIX",
    "GET_MEMBERS_RATE",
    "ID_PATTERN",
    "JOIN_RATE",
    "JOIN_SAME_CHANNEL_RATE",
    "LOGIN_RATE",
    "MAX_ATTRIBUTE_KEY_BYTES",
    "MAX_ATTRIBUTE_PAIRS",
    "MAX_ATTRIBUTE_VALUE_BYTES",
    "MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES",
    "MAX_CONCURRENT_TRANSFERS",
    "MAX_FRAME_BYTES",
    "MAX_INVITATION_TEXT_BYTES",
    "MAX_JOINED_CHANNELS",
    "MAX_MEDIA_BYTES",
    "MAX_MEMBER_COUNT_CHANNELS",
    "MAX_MEMBER_EVENTS_CHANNEL_SIZE",
    "MAX_MESSAGE_BYTES",
    "MAX_QUERY_PEERS",
    "MAX_SUBSCRIBED_PEERS",
    "MAX_USER_ATTRIBUTES_TOTAL_BYTES",
    "MEDIA_ID_PATTERN",
    "MEDIA_RETENTION",
    "MEDIA_STALL_TIMEOUT",
    "MEMBER_COUNT_RATE",
    "QUERY_ONLINE_RATE",
    "QUERY_SUBSCRIPTIONS_RATE",
    "RENEW_TOKEN_RATE",
    "SUBSCRIBE_RATE",
    "USER_ATTRIBUTE_READ_RATE",
    "USER_ATTRIBUTE_WRITE_RATE",
    "CallWindow",
    "CallWindows",
    "RateLimit",
    "attribute_keys_error",
    "attribute_map_error",
    "is_valid_app_id",
    "is_valid_channel_id",
    "is_valid_media_id",
    "is_valid_user_id",
    "media_message_size",
    "message_error",
    "peer_ids_error",
    "peer_message_error",
    "raw_message_size",
    "text_size",
]

# Spec §5.1: the Web SDK's checks, carried over. Its regex is JavaScript's, where ``\w`` is
# ASCII-only but ``\s`` is Unicode whitespace, so both classes are spelled out here.
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
APP_ID_PATTERN = re.compile(r"[0-9A-Za-z]{32}")
ID_PATTERN = re.compile(f"[{_JS_WHITESPACE}A-Za-z0-9_!#$%&()+,.:;<=>?@\\[\\]^{{|}}~-]{{1,64}}")

# Spec §5.2.
MAX_MESSAGE_BYTES = 32 * 1024
MAX_INVITATION_TEXT_BYTES = 8 * 1024

# Spec §5.2 (≤ 1.4.x media): a non-empty object of at most 30 MB (the Web d.ts says 32 MB; the
# native headers and limitation pages say 30, the safe side), kept 7 days; at most 9 uploads
# and downloads at once per client; spec §4.17: a transfer fails after 120 s without progress.
MAX_MEDIA_BYTES = 30 * 1024 * 1024
MEDIA_RETENTION = 7 * 24 * 3600.0
MAX_CONCURRENT_TRANSFERS = 9
MEDIA_STALL_TIMEOUT = 120.0

# Our own: the media ids the server gives out are 32 URL-safe characters (24 random bytes);
# anything else is refused before it is used in a path or a query.
MEDIA_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Spec §1.5: a peer text message starting with this is an end-call signal for legacy Signaling.
END_CALL_PREFIX = "AgoraRTMLegacyEndcallCompatibleMessagePrefix"

# Spec §5.3.
MAX_ATTRIBUTE_PAIRS = 32
MAX_ATTRIBUTE_KEY_BYTES = 32
MAX_ATTRIBUTE_VALUE_BYTES = 8 * 1024
MAX_USER_ATTRIBUTES_TOTAL_BYTES = 16 * 1024
MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES = 32 * 1024

# Spec §5.5.
MAX_JOINED_CHANNELS = 20
MAX_QUERY_PEERS = 256
MAX_SUBSCRIBED_PEERS = 512
MAX_MEMBER_COUNT_CHANNELS = 32
MAX_MEMBER_EVENTS_CHANNEL_SIZE = 512

# Our own: the largest WebSocket frame either side accepts. The biggest legitimate frame is a
# 32 KB message, escaped into JSON (a raw byte may take 4 base64 chars per 3, a text char up to
# 6 as \\uXXXX), plus its envelope; 256 KiB leaves room and bounds what one frame can cost.
MAX_FRAME_BYTES = 256 * 1024


def is_valid_app_id(app_id: object) -> bool:
    """Return whether ``app_id`` is 32 ASCII letters and digits (spec §1.1, §5.1)."""
    return isinstance(app_id, str) and APP_ID_PATTERN.fullmatch(app_id) is not None


def is_valid_user_id(uid: object) -> bool:
    """Return whether ``uid`` is a valid user, peer or callee id (spec §5.1).

    1–64 characters of the Web SDK's set; never the literal string ``"null"``.
    """
    if not isinstance(uid, str):
        return False
    if uid in _VALID_IDS_SEEN:
        return True
    valid = uid != "null" and ID_PATTERN.fullmatch(uid) is not None
    if valid:
        if len(_VALID_IDS_SEEN) >= _VALID_IDS_KEPT:
            _VALID_IDS_SEEN.clear()
        _VALID_IDS_SEEN.add(uid)
    return valid


# Ids found valid lately: every message names its peer, and the set lookup is a fifth of the
# regular expression's cost. Bounded: cleared when full.
_VALID_IDS_SEEN: set[str] = set()
_VALID_IDS_KEPT = 65536


def is_valid_channel_id(channel_id: object) -> bool:
    """Return whether ``channel_id`` is valid; the rule is the user id's (spec §5.1)."""
    return is_valid_user_id(channel_id)


def is_valid_media_id(media_id: object) -> bool:
    """Return whether ``media_id`` has the shape of an id the server gives out."""
    return isinstance(media_id, str) and MEDIA_ID_PATTERN.fullmatch(media_id) is not None


def text_size(text: str) -> int:
    """Return the UTF-8 size in bytes, which is what every text limit counts (spec §5.2)."""
    return len(text.encode("utf-8"))


def raw_message_size(raw: bytes, description: str) -> int:
    """Return the size a RAW message counts against 32 KB: bytes plus UTF-8 description."""
    return len(raw) + text_size(description)


def media_message_size(name: str, description: str, thumbnail: bytes | None) -> int:
    """Return what a FILE or IMAGE message counts against 32 KB (spec §5.2): the UTF-8 file
    name and description plus the thumbnail's bytes."""
    return text_size(name) + text_size(description) + (len(thumbnail) if thumbnail else 0)


# Read for every message: as globals, not off the class (on Python 3.11 that goes through
# ``EnumType.__getattr__``, see server/session.py).
_TEXT, _RAW = MessageType.TEXT, MessageType.RAW
_FILE, _IMAGE = MessageType.FILE, MessageType.IMAGE


def message_error(msg: Message) -> str | None:
    """Return why ``msg`` may not be sent, or None when it may (spec §1.6, §5.2).

    TEXT: ``text`` of at most 32 KB UTF-8 and no raw payload. RAW: a raw payload whose bytes
    plus the UTF-8 description are at most 32 KB, and no text. FILE and IMAGE: ``media`` with
    a valid media id, file name, description and thumbnail at most 32 KB together, no text
    and no raw payload; image sizes only on IMAGE.
    """
    if msg.type is _TEXT:
        if msg.raw is not None or msg.description or msg.media is not None:
            return "a TEXT message carries text only"
        # A UTF-8 character is at most 4 bytes: most texts need no encoding to be measured.
        text = msg.text
        if len(text) > MAX_MESSAGE_BYTES // 4 and text_size(text) > MAX_MESSAGE_BYTES:
            return "text over 32 KB"
        return None
    if msg.type is _RAW:
        if msg.raw is None or msg.text or msg.media is not None:
            return "a RAW message carries a raw payload and an optional description"
        if raw_message_size(msg.raw, msg.description) > MAX_MESSAGE_BYTES:
            return "raw payload and description over 32 KB"
        return None
    return _media_message_error(msg)


def _media_message_error(msg: Message) -> str | None:
    # Spec §1.6: FILE and IMAGE (≤ 1.4.x); their limit is spec §5.2's 32 KB of metadata.
    media = msg.media
    if media is None or msg.raw is not None or msg.text:
        return f"a {msg.type} message carries media and an optional description only"
    if not is_valid_media_id(media.id):
        return "invalid media id"
    if msg.type is _FILE and (
        media.width or media.height or media.thumb_width or media.thumb_height
    ):
        return "a FILE message has no image sizes"
    if media_message_size(media.name, msg.description, media.thumb) > MAX_MESSAGE_BYTES:
        return "file name, description and thumbnail over 32 KB"
    return None


def peer_message_error(msg: Message) -> str | None:
    """Return why ``msg`` may not be sent to a peer, or None when it may (spec §1.5, §1.6).

    As :func:`message_error`, and a text starting with :data:`END_CALL_PREFIX` must be
    ``<prefix>_<channelId>_<info>``: exactly three ``_``-separated parts, a valid channel id,
    and an info (possibly empty) without ``_`` — what the Web SDK checks.
    """
    problem = message_error(msg)
    if problem is None and msg.type is _TEXT and msg.text.startswith(END_CALL_PREFIX):
        parts = msg.text.split("_")
        if len(parts) != 3 or parts[0] != END_CALL_PREFIX or not is_valid_channel_id(parts[1]):
            return "malformed end-call message: expected <prefix>_<channelId>_<info>"
    return problem


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A call-frequency limit: at most ``calls`` in any ``window`` seconds (spec §5.4)."""

    calls: int
    window: float


# Spec §5.4 (Web / iOS / Android / Windows column), per client.
LOGIN_RATE = RateLimit(2, 1.0)
RENEW_TOKEN_RATE = RateLimit(2, 1.0)
JOIN_RATE = RateLimit(50, 3.0)
JOIN_SAME_CHANNEL_RATE = RateLimit(2, 5.0)
GET_MEMBERS_RATE = RateLimit(5, 2.0)
QUERY_ONLINE_RATE = RateLimit(10, 5.0)
SUBSCRIBE_RATE = RateLimit(10, 5.0)  # subscribe and unsubscribe combined
QUERY_SUBSCRIPTIONS_RATE = RateLimit(10, 5.0)
USER_ATTRIBUTE_WRITE_RATE = RateLimit(10, 5.0)  # set, add-or-update, delete, clear
USER_ATTRIBUTE_READ_RATE = RateLimit(40, 5.0)
CHANNEL_ATTRIBUTE_WRITE_RATE = RateLimit(10, 5.0)
CHANNEL_ATTRIBUTE_READ_RATE = RateLimit(10, 5.0)
MEMBER_COUNT_RATE = RateLimit(1, 1.0)


class CallWindow:
    """A sliding window over the times of recent calls; no I/O, the clock is passed in.

    The server keeps one per session and operation (authoritative); the SDK keeps the same so
    that a well-behaved app hears of the limit before sending.
    """

    __slots__ = ("_limit", "_next", "_times")

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        # The last ``calls`` call times, a ring once full: ``_next`` is the oldest. (A list
        # of the window's size, not a deque, whose first block alone is ~600 bytes: most
        # windows hold one or two calls, and every session has some.)
        self._times: list[float] = []
        self._next = 0

    def check(self, now: float) -> bool:
        """Whether a call at ``now`` is within the limit; records nothing."""
        times = self._times
        return len(times) < self._limit.calls or now - times[self._next] >= self._limit.window

    def record(self, now: float) -> None:
        """Count a call at ``now``. When a call is under several limits, check them all first:
        a call refused by one limit must not use up another's budget."""
        times = self._times
        if len(times) < self._limit.calls:
            times.append(now)
        else:
            times[self._next] = now
            self._next = (self._next + 1) % len(times)

    def allow(self, now: float) -> bool:
        """Check and, if within the limit, record a call at ``now``."""
        # check() and record() in one: this runs for every message sent.
        times, limit = self._times, self._limit
        if len(times) < limit.calls:
            times.append(now)
            return True
        oldest = self._next
        if now - times[oldest] < limit.window:
            return False
        times[oldest] = now
        self._next = (oldest + 1) % len(times)
        return True

    def idle(self, now: float) -> bool:
        """Whether no recorded call is inside the window any more (the window can be dropped)."""
        times = self._times
        return not times or now - times[self._next - 1] >= self._limit.window


class CallWindows:
    """The call windows of one client (or session): by operation, or operation and target.

    Per-target windows (one per channel, say) pile up; the quiet ones are dropped when the
    registry grows past ``prune_above``.
    """

    __slots__ = ("_prune_above", "_windows")

    def __init__(self, prune_above: int = 64) -> None:
        self._windows: dict[object, CallWindow] = {}
        self._prune_above = prune_above

    def get(self, key: object, limit: RateLimit, now: float) -> CallWindow:
        """Return the window of ``key``, creating it for ``limit`` if new."""
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._prune_above:
                for stale in [k for k, w in self._windows.items() if w.idle(now)]:
                    del self._windows[stale]
            window = self._windows[key] = CallWindow(limit)
        return window

    def within(self, now: float, *checks: tuple[object, RateLimit]) -> int:
        """Check a call against several limits; record it only if all pass.

        Returns:
            The index of the first limit that refuses the call, or -1 when it is recorded.
        """
        # Called for every message: look the windows up twice rather than build a list. (A
        # window pruned in between was idle, so the fresh one get() makes is the same.)
        for i, (key, limit) in enumerate(checks):
            if not self.get(key, limit, now).check(now):
                return i
        for key, limit in checks:
            self.get(key, limit, now).record(now)
        return -1


def attribute_map_error(attrs: object, total_limit: int) -> tuple[bool, str] | None:
    """Check an attribute map against spec §5.3; None when it is valid.

    Returns:
        ``(overflow, why)``: ``overflow`` True is SIZE_OVERFLOW (4: a value over 8 KB, more
        than 32 pairs, more than ``total_limit`` bytes of keys and values), False is
        INVALID_ARGUMENT (3: not a map of strings, a key of 0 or over 32 bytes, an empty
        value).
    """
    if not isinstance(attrs, dict):
        return False, "attributes are a map of strings to strings"
    total = 0
    for key, value in attrs.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return False, "attribute keys and values are strings"
        key_size, value_size = text_size(key), text_size(value)
        if not 0 < key_size <= MAX_ATTRIBUTE_KEY_BYTES:
            return False, "an attribute key is 1 to 32 bytes"
        if value_size == 0:
            return False, "an attribute value may not be empty"
        if value_size > MAX_ATTRIBUTE_VALUE_BYTES:
            return True, "an attribute value is at most 8 KB"
        total += key_size + value_size
    if len(attrs) > MAX_ATTRIBUTE_PAIRS:
        return True, "at most 32 attributes"
    if total > total_limit:
        return True, f"attributes total at most {total_limit // 1024} KB"
    return None


def attribute_keys_error(keys: object) -> str | None:
    """Check the keys of a delete or get-by-keys call: 1 to 32 keys of 1 to 32 bytes."""
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_ATTRIBUTE_PAIRS:
        return "1 to 32 keys"
    for key in keys:
        if not isinstance(key, str) or not 0 < text_size(key) <= MAX_ATTRIBUTE_KEY_BYTES:
            return "an attribute key is 1 to 32 bytes"
    return None


def peer_ids_error(peers: object, most: int | None) -> str | None:
    """Check a list of at least 1 (and at most ``most``, if given) valid user ids."""
    if not isinstance(peers, list) or not peers:
        return "a non-empty list of peer ids"
    if most is not None and len(peers) > most:
        return f"at most {most} peer ids"
    if not all(is_valid_user_id(uid) for uid in peers):
        return "invalid peer id"
    return None
