"""Error-class names and close policies (spec §1.8, §3.2): pure, no event loop."""

from __future__ import annotations

from enum import IntEnum

import pytest

from openrtm.protocol import codes
from openrtm.protocol.codes import (
    CloseCode,
    ConnectionChangeReason,
    ConnectionState,
    LoginError,
    PeerMessageError,
    RenewTokenError,
    close_policy,
    web_error_name,
)

ERROR_ENUMS = [
    getattr(codes, name)
    for name in codes.__all__
    if name.endswith("Error")
    and isinstance(getattr(codes, name), type)
    and issubclass(getattr(codes, name), IntEnum)
]
WEB_NAMES = {
    "RtmInvalidArgumentError",
    "RtmInvalidStatusError",
    "RtmLimitExceededError",
    "RtmInvokeTooOftenError",
    "RtmTimeoutError",
    "RtmUnauthenticatedError",
    "RtmUnavailableError",
    "RtmUnknownError",
}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (LoginError.INVALID_ARGUMENT, "RtmInvalidArgumentError"),
        (LoginError.INVALID_APP_ID, "RtmUnauthenticatedError"),
        (LoginError.INVALID_TOKEN, "RtmUnauthenticatedError"),
        (LoginError.TOKEN_EXPIRED, "RtmUnauthenticatedError"),
        (LoginError.ALREADY_LOGIN, "RtmInvalidStatusError"),
        (LoginError.TIMEOUT, "RtmTimeoutError"),
        (LoginError.TOO_OFTEN, "RtmInvokeTooOftenError"),
        (LoginError.UNKNOWN, "RtmUnknownError"),
        (LoginError.REJECTED, "RtmUnavailableError"),
        (LoginError.ABORTED_BY_LOGOUT, "RtmInvalidStatusError"),
        (RenewTokenError.TOO_OFTEN, "RtmInvokeTooOftenError"),
        (PeerMessageError.TOO_OFTEN, "RtmLimitExceededError"),
        (PeerMessageError.INVALID_USERID, "RtmInvalidArgumentError"),
        (PeerMessageError.INVALID_MESSAGE, "RtmInvalidArgumentError"),
        (PeerMessageError.USER_NOT_LOGGED_IN, "RtmInvalidStatusError"),
        (codes.JoinChannelError.EXCEED_LIMIT, "RtmLimitExceededError"),
        (codes.JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN, "RtmLimitExceededError"),
        (codes.PeerSubscriptionStatusError.OVERFLOW, "RtmLimitExceededError"),
        (codes.AttributeOperationError.SIZE_OVERFLOW, "RtmLimitExceededError"),
        (codes.InvitationApiCallError.ALREADY_END, "RtmInvalidStatusError"),
    ],
)
def test_web_error_name(code: IntEnum, name: str) -> None:
    assert web_error_name(code) == name


def test_codes_of_equal_value_in_other_enums_keep_their_own_class() -> None:
    # LoginError.INVALID_APP_ID == 4 == RenewTokenError.TOO_OFTEN as ints: the class must
    # follow the enum, not the number.
    assert LoginError.INVALID_APP_ID == RenewTokenError.TOO_OFTEN
    assert web_error_name(LoginError.INVALID_APP_ID) == "RtmUnauthenticatedError"
    assert web_error_name(LoginError.TOKEN_EXPIRED) == "RtmUnauthenticatedError"


@pytest.mark.parametrize("enum", ERROR_ENUMS, ids=lambda e: e.__name__)
def test_every_error_code_has_a_web_class(enum: type[IntEnum]) -> None:
    for member in enum:
        assert web_error_name(member) in WEB_NAMES


def test_not_logged_in_is_102_wherever_it_exists() -> None:
    for enum in ERROR_ENUMS:
        for member in enum:
            if member.name.endswith("NOT_LOGGED_IN"):
                assert member == 102, enum


def test_string_enums_are_their_names() -> None:
    for enum in (ConnectionState, ConnectionChangeReason, codes.PeerOnlineState, codes.MessageType):
        for member in enum:
            assert member.value == member.name


@pytest.mark.parametrize(
    ("code", "reconnect", "reason"),
    [
        (None, True, "INTERRUPTED"),
        (CloseCode.GOING_AWAY, True, "INTERRUPTED"),
        (CloseCode.SLOW_CONSUMER, True, "INTERRUPTED"),
        (CloseCode.REMOTE_LOGIN, False, "REMOTE_LOGIN"),
        (CloseCode.TOKEN_EXPIRED, False, "TOKEN_EXPIRED"),
        (CloseCode.BANNED, False, "BANNED_BY_SERVER"),
        (CloseCode.PROTOCOL_VIOLATION, False, "INTERRUPTED"),
        (4999, False, "INTERRUPTED"),  # unknown kicks: ABORTED/INTERRUPTED (spec §3.2)
    ],
)
def test_close_policy(code: int | None, reconnect: bool, reason: str) -> None:
    policy = close_policy(code)
    assert (policy.reconnect, policy.reason) == (reconnect, reason)


def test_every_close_code_has_a_policy() -> None:
    assert set(codes.CLOSE_POLICIES) == set(CloseCode)
