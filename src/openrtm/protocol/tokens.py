"""Agora RTM login tokens: AccessToken2 ("007") and AccessToken ("006"), verified and built.

Sans-I/O (design §2, §7): verification never reads the clock, the caller passes ``now`` in Unix
seconds; only the builders draw a random salt, and only when the caller gives none.

Tokens are never compared as strings (spec §8.1: two builders emit different zlib streams for the
same inputs); every check is on decoded fields, and signatures are compared in constant time.
Parsing is defensive: whatever the input, verification raises only :class:`TokenError`
subclasses.

Errors::

    TokenError
    ├── TokenInvalidError   malformed, forged, wrong app id, wrong uid, no RTM login privilege
    └── TokenExpiredError   genuine, but now >= deadline (carries .deadline and .now)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "TokenError",
    "TokenExpiredError",
    "TokenFormat",
    "TokenInvalidError",
    "VerifiedToken",
    "build_token",
    "build_token_006",
    "build_token_007",
    "verify_token",
]

# A real token is ~150 characters; these caps bound the work an attacker can ask of us,
# including zlib bombs (a few KiB of base64 could otherwise inflate to megabytes).
_MAX_TOKEN_CHARS = 4096
_MAX_PAYLOAD_BYTES = 64 * 1024

_APP_ID_CHARS = 32  # spec §8.2: the 006 text embeds the App ID as exactly 32 characters
_DAY = 86_400  # spec §8.1 step 6 (007 cap) and §8.2 (006 lifetime)
_SALT_MAX = 99_999_999  # spec §8.1: salt is random 1 … 99 999 999

_SERVICE_RTM = 2  # spec §8.1: RTM 1.x service type
_PRIVILEGE_LOGIN = 1  # spec §8.1: RTM service privilege 1 = login
_PRIVILEGE_LOGIN_006 = 1000  # spec §8.2: kRtmLogin

# spec §8.1 service table: the fields that follow each service's privilege map ("s" = string,
# "h" = i16). Parsing stops at a type not listed here, as Agora's parsers do (e.g. RTM2, type 8,
# whose permission table we do not need to understand).
_SERVICE_FIELDS: dict[int, str] = {1: "ss", 2: "s", 3: "ss", 4: "", 5: "s", 6: "ss", 7: "ssh"}


class TokenFormat(StrEnum):
    """Token format, named by its three-character version prefix (spec §8)."""

    V006 = "006"
    V007 = "007"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a successfully verified token grants.

    Attributes:
        format: The token format.
        app_id: The App ID the token was issued for.
        uid: The RTM user id the token logs in.
        issued_at: Unix seconds when the token was built (006: ``ts - 86400``).
        deadline: Unix seconds at which the login privilege ends; valid while ``now < deadline``.
    """

    format: TokenFormat
    app_id: str
    uid: str
    issued_at: int
    deadline: int


class TokenError(Exception):
    """Base class of every token rejection.

    Attributes:
        reason: Short lower-case description of what was wrong; never contains the token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"token rejected: {self.reason}"


class TokenInvalidError(TokenError):
    """The token is malformed, forged, for another app or uid, or grants no RTM login."""

    def __str__(self) -> str:
        return f"invalid token: {self.reason}"


class TokenExpiredError(TokenError):
    """The token is genuine but its login privilege has ended.

    Attributes:
        deadline: Unix seconds at which the privilege ended.
        now: The clock value the token was checked against.
    """

    def __init__(self, *, deadline: int, now: int) -> None:
        super().__init__("expired")
        self.deadline = deadline
        self.now = now

    def __str__(self) -> str:
        return f"token expired at {self.deadline} (now {self.now})"


# --- byte codec (spec §8: little-endian; string = u16 length + bytes; map<u16,u32> sorted) ---


class _Reader:
    """Bounds-checked little-endian reader; running out of bytes is a malformed token."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def _take(self, size: int) -> bytes:
        end = self._pos + size
        if end > len(self._data):
            raise TokenInvalidError("truncated")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def u16(self) -> int:
        return int.from_bytes(self._take(2), "little")

    def u32(self) -> int:
        return int.from_bytes(self._take(4), "little")

    def string(self) -> bytes:
        return self._take(self.u16())

    def map_u32(self) -> dict[int, int]:
        result: dict[int, int] = {}
        for _ in range(self.u16()):
            key = self.u16()
            result[key] = self.u32()
        return result

    def rest(self) -> bytes:
        return self._take(len(self._data) - self._pos)

    def finish(self) -> None:
        if self._pos != len(self._data):
            raise TokenInvalidError("trailing bytes")


class _Packer:
    """Little-endian writer, the inverse of :class:`_Reader`; out-of-range values are ValueError."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def _int(self, value: int, size: int, *, signed: bool = False) -> _Packer:
        try:
            self._buf += value.to_bytes(size, "little", signed=signed)
        except OverflowError as exc:
            raise ValueError(f"{value} does not fit in a {size * 8}-bit field") from exc
        return self

    def u16(self, value: int) -> _Packer:
        return self._int(value, 2)

    def u32(self, value: int) -> _Packer:
        return self._int(value, 4)

    def i16(self, value: int) -> _Packer:
        return self._int(value, 2, signed=True)

    def string(self, value: bytes) -> _Packer:
        self.u16(len(value))
        return self.raw(value)

    def map_u32(self, mapping: Mapping[int, int]) -> _Packer:
        self.u16(len(mapping))
        for key in sorted(mapping):  # spec §8: keys in ascending order
            self.u16(key).u32(mapping[key])
        return self

    def raw(self, value: bytes) -> _Packer:
        self._buf += value
        return self

    def getvalue(self) -> bytes:
        return bytes(self._buf)


# --- shared helpers -----------------------------------------------------------------------------


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def _k1_007(certificate: bytes, issue_ts: int) -> bytes:
    """Spec §8.1 signature step 1: ``HMAC(key=u32le(issue_ts), msg=certificate)``."""
    return _hmac(issue_ts.to_bytes(4, "little"), certificate)


def _k2_007(k1: bytes, salt: int) -> bytes:
    """Spec §8.1 signature step 2: ``HMAC(key=u32le(salt), msg=k1)``."""
    return _hmac(salt.to_bytes(4, "little"), k1)


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise TokenInvalidError(f"{what} is not valid utf-8") from exc


def _b64decode(text: str) -> bytes:
    try:
        # Standard alphabet with padding, as every Agora builder emits (spec §8.1, §8.2).
        return base64.b64decode(text, validate=True)
    except ValueError as exc:  # binascii.Error is a ValueError
        raise TokenInvalidError("bad base64") from exc


def _decode_007(token: str) -> bytes:
    """Return the inflated PAYLOAD of a "007" token (spec §8.1), refusing zlib bombs."""
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(_b64decode(token[3:]), _MAX_PAYLOAD_BYTES)
    except zlib.error as exc:
        raise TokenInvalidError("bad zlib stream") from exc
    if inflater.unconsumed_tail:
        raise TokenInvalidError("payload too large")
    if not inflater.eof:
        raise TokenInvalidError("truncated zlib stream")
    if inflater.unused_data:
        raise TokenInvalidError("trailing bytes after zlib stream")
    return payload


def _encode_007(payload: bytes) -> str:
    return TokenFormat.V007 + base64.b64encode(zlib.compress(payload)).decode("ascii")


def _new_salt() -> int:
    return secrets.randbelow(_SALT_MAX) + 1


# --- verification -------------------------------------------------------------------------------


def verify_token(
    token: str, *, app_id: str, app_certificate: str, uid: str, now: int
) -> VerifiedToken:
    """Verify an RTM login token of either format for ``uid`` under ``app_id``.

    Args:
        token: The token text as the client sent it.
        app_id: The App ID the client logs in to.
        app_certificate: That App ID's certificate, as its ASCII text (spec §8).
        uid: The user id the client logs in as.
        now: Current Unix time in seconds (injected: this layer never reads the clock).

    Returns:
        The decoded, verified fields.

    Raises:
        TokenInvalidError: The token is malformed, forged, for another app or uid, or has no
            RTM login privilege.
        TokenExpiredError: The token is genuine but ``now >= deadline``.
    """
    if not isinstance(token, str) or not token.isascii():
        raise TokenInvalidError("not an ascii string")
    if len(token) > _MAX_TOKEN_CHARS:
        raise TokenInvalidError("too long")
    prefix = token[:3]
    if prefix == TokenFormat.V007:
        return _verify_007(token, app_id, app_certificate, uid, now)
    if prefix == TokenFormat.V006:
        return _verify_006(token, app_id, app_certificate, uid, now)
    raise TokenInvalidError("unknown version")


def _read_services(info: _Reader) -> dict[int, tuple[dict[int, int], list[bytes]]]:
    """Read the services of SIGNING_INFO; a later service of the same type replaces an earlier
    one, as in Agora's parsers (which keep services in a map keyed by type)."""
    services: dict[int, tuple[dict[int, int], list[bytes]]] = {}
    for _ in range(info.u16()):
        service_type = info.u16()
        fields = _SERVICE_FIELDS.get(service_type)
        if fields is None:
            return services  # spec §8.1 step 2: stop at an unknown type, ignore the rest
        privileges = info.map_u32()
        strings: list[bytes] = []
        for kind in fields:
            if kind == "s":
                strings.append(info.string())
            else:
                info.u16()  # APaaS i16 role: skipped, RTM does not use it
        services[service_type] = (privileges, strings)
    info.finish()
    return services


def _verify_007(token: str, app_id: str, app_certificate: str, uid: str, now: int) -> VerifiedToken:
    # spec §8.1 verification recipe, steps 1-6.
    payload = _Reader(_decode_007(token))
    signature = payload.string()
    signing_info = payload.rest()
    info = _Reader(signing_info)
    token_app_id = info.string()
    issue_ts = info.u32()
    expire = info.u32()
    salt = info.u32()
    services = _read_services(info)

    if token_app_id != _utf8(app_id, "app id"):
        raise TokenInvalidError("app id mismatch")
    key = _k2_007(_k1_007(_utf8(app_certificate, "app certificate"), issue_ts), salt)
    if not hmac.compare_digest(signature, _hmac(key, signing_info)):
        raise TokenInvalidError("bad signature")

    rtm = services.get(_SERVICE_RTM)
    if rtm is None or rtm[1][0] != _utf8(uid, "uid"):
        raise TokenInvalidError("no rtm service for this uid")
    login = rtm[0].get(_PRIVILEGE_LOGIN)
    if login is None:
        raise TokenInvalidError("no rtm login privilege")
    # spec §8.1 step 6: both lifetimes are relative to issue_ts; Agora caps them at 24 h.
    deadline = issue_ts + min(expire, login, _DAY)
    return _checked(TokenFormat.V007, app_id, uid, issue_ts, deadline, now)


def _verify_006(token: str, app_id: str, app_certificate: str, uid: str, now: int) -> VerifiedToken:
    # spec §8.2 verification recipe.
    if token[3 : 3 + _APP_ID_CHARS] != app_id:
        raise TokenInvalidError("app id mismatch")
    content = _Reader(_b64decode(token[3 + _APP_ID_CHARS :]))
    signature = content.string()
    crc_channel_name = content.u32()
    crc_uid = content.u32()
    message = content.string()
    content.finish()
    fields = _Reader(message)
    fields.u32()  # salt: covered by the signature, nothing else to check
    ts = fields.u32()
    privileges = fields.map_u32()
    fields.finish()

    # The RTM builders pass the user id as the "channel name" and "" as the uid (spec §8.2).
    uid_bytes = _utf8(uid, "uid")
    signed = _utf8(app_id, "app id") + uid_bytes + message
    if not hmac.compare_digest(signature, _hmac(_utf8(app_certificate, "app certificate"), signed)):
        raise TokenInvalidError("bad signature")
    # The CRCs are not signed; every known RTM builder writes crc32(uid) and crc32("") = 0, so
    # anything else is a tampered token.
    if crc_channel_name != zlib.crc32(uid_bytes) or crc_uid != 0:
        raise TokenInvalidError("checksum mismatch")
    if _PRIVILEGE_LOGIN_006 not in privileges:
        raise TokenInvalidError("no rtm login privilege")
    # spec §6.10, §8.2: ts is build time + 24 h and is the real expiry; privilege 1000's own
    # timestamp is ignored by RTM. The spec says "reject when now > ts"; we use now >= ts so that
    # both formats share one rule (valid while now < deadline) — a one-second difference.
    return _checked(TokenFormat.V006, app_id, uid, ts - _DAY, ts, now)


def _checked(
    fmt: TokenFormat, app_id: str, uid: str, issued_at: int, deadline: int, now: int
) -> VerifiedToken:
    if now >= deadline:
        raise TokenExpiredError(deadline=deadline, now=now)
    return VerifiedToken(fmt, app_id, uid, issued_at, deadline)


# --- building -----------------------------------------------------------------------------------


def _build_007(
    app_id: str,
    app_certificate: str,
    *,
    issue_ts: int,
    expire: int,
    salt: int,
    services: Sequence[bytes],
) -> str:
    """Build a "007" token from already packed services (sorted by type, spec §8.1)."""
    packer = _Packer().string(app_id.encode()).u32(issue_ts).u32(expire).u32(salt)
    packer.u16(len(services))
    for service in services:
        packer.raw(service)
    signing_info = packer.getvalue()
    key = _k2_007(_k1_007(app_certificate.encode(), issue_ts), salt)
    return _encode_007(_Packer().string(_hmac(key, signing_info)).raw(signing_info).getvalue())


def _rtm_service(uid: str, login_expire: int) -> bytes:
    """Pack an RTM (type 2) service granting login for ``login_expire`` seconds (spec §8.1)."""
    privileges = {_PRIVILEGE_LOGIN: login_expire}
    return _Packer().u16(_SERVICE_RTM).map_u32(privileges).string(uid.encode()).getvalue()


def build_token_007(
    app_id: str,
    app_certificate: str,
    uid: str,
    expire: int,
    *,
    issue_ts: int,
    salt: int | None = None,
) -> str:
    """Build an AccessToken2 ("007") RTM login token, as Agora's ``RtmTokenBuilder2`` does.

    ``expire`` (seconds after ``issue_ts``) is both the token lifetime and the RTM login
    privilege; verification caps it at 24 h. A random salt in 1 … 99 999 999 is drawn when
    ``salt`` is None.

    Raises:
        ValueError: A number does not fit its field or a string is longer than 65535 bytes.
    """
    salt = _new_salt() if salt is None else salt
    rtm = _rtm_service(uid, expire)
    return _build_007(
        app_id, app_certificate, issue_ts=issue_ts, expire=expire, salt=salt, services=[rtm]
    )


def build_token_006(
    app_id: str,
    app_certificate: str,
    uid: str,
    privilege_expired_ts: int,
    *,
    now: int,
    salt: int | None = None,
) -> str:
    """Build an AccessToken ("006") RTM login token, as PyPI ``agora-token-builder`` does.

    The token expires at ``now + 86400`` (spec §8.2); ``privilege_expired_ts`` is only stored
    with privilege 1000, which RTM ignores. A random salt is drawn when ``salt`` is None.

    Raises:
        ValueError: ``app_id`` is not 32 ASCII characters (the width the format reserves), or a
            number does not fit its field.
    """
    if len(app_id) != _APP_ID_CHARS or not app_id.isascii():
        raise ValueError("a 006 token needs a 32-character ascii app id")
    message = _Packer().u32(_new_salt() if salt is None else salt).u32(now + _DAY)
    message.map_u32({_PRIVILEGE_LOGIN_006: privilege_expired_ts})
    signed = message.getvalue()
    uid_bytes = uid.encode()
    signature = _hmac(app_certificate.encode(), app_id.encode() + uid_bytes + signed)
    content = _Packer().string(signature).u32(zlib.crc32(uid_bytes)).u32(0).string(signed)
    return TokenFormat.V006 + app_id + base64.b64encode(content.getvalue()).decode("ascii")


def build_token(
    app_id: str,
    app_certificate: str,
    uid: str,
    *,
    expire: int = 3600,
    fmt: TokenFormat = TokenFormat.V007,
    now: int,
) -> str:
    """Build an RTM login token issued at ``now`` (for the CLI ``openrtm token``).

    A 007 token lasts ``expire`` seconds (at most 24 h); a 006 token lasts 24 h whatever
    ``expire`` says (spec §6.10), which only sets its ignored privilege timestamp.

    Raises:
        ValueError: Unknown ``fmt``, or see :func:`build_token_007` and :func:`build_token_006`.
    """
    if TokenFormat(fmt) is TokenFormat.V006:
        return build_token_006(app_id, app_certificate, uid, now + expire, now=now)
    return build_token_007(app_id, app_certificate, uid, expire, issue_ts=now)
