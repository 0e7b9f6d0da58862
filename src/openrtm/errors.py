"""The errors the SDK raises, mirroring the Web SDK's classes (spec §1.8).

Every error carries ``code``, the per-operation code of spec §4 (apps branch on it), and
``name``, the Web SDK class name; the class tree is::

    RtmError                          base; .code, .name, .operation, .detail
    ├── RtmInvalidArgumentError       bad ids, message or attribute sizes, bad options
    ├── RtmInvalidStatusError         wrong state: not logged in, already logged in, not joined
    ├── RtmLimitExceededError         size, count and rate limits (32 KB, 180 / 3 s, 20 channels)
    ├── RtmInvokeTooOftenError        login or renew_token more than twice a second
    ├── RtmTimeoutError               no answer in time
    ├── RtmUnauthenticatedError       invalid App ID or token, expired token
    ├── RtmUnavailableError           the server refused or failed
    ├── RtmUnknownError               anything else
    └── RtmInternalError              a bug in the SDK

The server's error replies carry ``name``; :func:`error_from_reply` picks the class by it, so
an error raised locally and one returned by the server look the same to the app.
"""

from __future__ import annotations

from enum import IntEnum

from openrtm.protocol.codes import web_error_name

__all__ = [
    "RtmError",
    "RtmInternalError",
    "RtmInvalidArgumentError",
    "RtmInvalidStatusError",
    "RtmInvokeTooOftenError",
    "RtmLimitExceededError",
    "RtmTimeoutError",
    "RtmUnauthenticatedError",
    "RtmUnavailableError",
    "RtmUnknownError",
    "error_for",
    "error_from_reply",
]


class RtmError(Exception):
    """Base of every openrtm SDK error.

    Attributes:
        code: the per-operation error code of spec §4.
        operation: the operation's error enum name, e.g. ``"LoginError"``, when known.
        detail: what went wrong, lower-case, for people.
    """

    name = "RtmError"

    def __init__(self, code: int, detail: str, *, operation: str | None = None) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.operation = operation

    def __str__(self) -> str:
        where = f"{self.operation} " if self.operation else ""
        return f"{where}code {self.code}: {self.detail}"


class RtmInvalidArgumentError(RtmError):
    """An argument failed validation (ids, sizes, options)."""

    name = "RtmInvalidArgumentError"


class RtmInvalidStatusError(RtmError):
    """The call is not allowed in the current state (not logged in, already joined, ...)."""

    name = "RtmInvalidStatusError"


class RtmLimitExceededError(RtmError):
    """A size, count or rate limit was exceeded."""

    name = "RtmLimitExceededError"


class RtmInvokeTooOftenError(RtmError):
    """``login`` or ``renew_token`` was called more often than twice a second."""

    name = "RtmInvokeTooOftenError"


class RtmTimeoutError(RtmError):
    """The server did not answer in time."""

    name = "RtmTimeoutError"


class RtmUnauthenticatedError(RtmError):
    """The App ID or token was refused, or the token expired."""

    name = "RtmUnauthenticatedError"


class RtmUnavailableError(RtmError):
    """The server refused the request or failed to carry it out."""

    name = "RtmUnavailableError"


class RtmUnknownError(RtmError):
    """A failure with no better class."""

    name = "RtmUnknownError"


class RtmInternalError(RtmError):
    """A failure inside the SDK itself."""

    name = "RtmInternalError"


_CLASSES: dict[str, type[RtmError]] = {
    cls.name: cls
    for cls in (
        RtmInvalidArgumentError,
        RtmInvalidStatusError,
        RtmLimitExceededError,
        RtmInvokeTooOftenError,
        RtmTimeoutError,
        RtmUnauthenticatedError,
        RtmUnavailableError,
        RtmUnknownError,
        RtmInternalError,
    )
}


def error_for(code: IntEnum, detail: str) -> RtmError:
    """Build the error for a per-operation code, of the class spec §1.8 gives it."""
    cls = _CLASSES[web_error_name(code)]
    return cls(int(code), detail, operation=type(code).__name__)


def error_from_reply(code: int, name: str, message: str, *, operation: str | None) -> RtmError:
    """Build the error for a server error reply; an unknown ``name`` becomes RtmUnknownError."""
    cls = _CLASSES.get(name, RtmUnknownError)
    return cls(code, message, operation=operation)
