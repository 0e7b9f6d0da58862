"""Identifier and size rules of spec §5.1–§5.2."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from openrtm.protocol.limits import (
    CallWindow,
    CallWindows,
    RateLimit,
    is_valid_app_id,
    is_valid_channel_id,
    is_valid_user_id,
    raw_message_size,
    text_size,
)

# The Web SDK's own regex (spec §5.1), kept here verbatim as the oracle.
WEB_SDK_ID = re.compile(r"^[\s\w!#$%&()+,.:;<=>?@[\]^{|}~-]{1,64}$", re.ASCII)


@pytest.mark.parametrize(
    ("uid", "valid"),
    [
        ("alice", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("null", False),
        ("Null", True),
        ("with space", True),
        ("tab\there", True),
        ("a/b", False),
        ("a'b", False),
        ('a"b', False),
        ("a*b", False),
        ("é", False),
        (42, False),
        (None, False),
    ],
)
def test_user_ids(uid: object, valid: bool) -> None:
    assert is_valid_user_id(uid) is valid
    assert is_valid_channel_id(uid) is valid


# JavaScript's \s also matches these; Python's ASCII oracle above does not.
JS_UNICODE_SPACES = "\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@given(st.text(max_size=70))
def test_user_id_rule_matches_the_web_sdk(uid: str) -> None:
    assume(not any(c in JS_UNICODE_SPACES for c in uid))
    expected = uid != "null" and WEB_SDK_ID.match(uid) is not None
    assert is_valid_user_id(uid) is expected


@pytest.mark.parametrize("space", list(JS_UNICODE_SPACES))
def test_javascript_unicode_whitespace_is_allowed_like_the_web_sdk(space: str) -> None:
    assert is_valid_user_id(f"a{space}b")


@pytest.mark.parametrize("char", ["\x1c", "\x85", "\u200b"])
def test_python_only_whitespace_is_not_allowed(char: str) -> None:
    assert not is_valid_user_id(f"a{char}b")


@pytest.mark.parametrize(
    ("app_id", "valid"),
    [
        ("0123456789abcdef0123456789ABCDEF", True),
        ("0123456789abcdef0123456789abcde", False),
        ("0123456789abcdef0123456789abcdef0", False),
        ("0123456789abcdef0123456789abcde-", False),
        (None, False),
    ],
)
def test_app_ids(app_id: object, valid: bool) -> None:
    assert is_valid_app_id(app_id) is valid


def test_sizes_count_utf8_bytes() -> None:
    assert text_size("héllo") == 6
    assert raw_message_size(b"\x00" * 10, "dé") == 13


def test_call_window_allows_calls_up_to_the_limit_within_the_window() -> None:
    window = CallWindow(RateLimit(2, 5.0))
    assert window.allow(0.0)
    assert window.allow(1.0)
    assert not window.allow(4.9)  # a third call within 5 s of the first
    assert window.allow(5.0)  # the first call left the window
    assert not window.allow(5.5)
    assert not window.idle(9.9)
    assert window.idle(10.0)


def test_refused_calls_do_not_count() -> None:
    window = CallWindow(RateLimit(1, 1.0))
    assert window.allow(0.0)
    for t in (0.1, 0.5, 0.9):
        assert not window.allow(t)
    assert window.allow(1.0)


def test_a_call_refused_by_one_limit_uses_no_other_limits_budget() -> None:
    windows = CallWindows()
    overall, per_target = RateLimit(3, 10.0), RateLimit(1, 10.0)
    assert windows.within(0.0, ("op", overall), (("op", "a"), per_target)) == -1
    assert windows.within(0.1, ("op", overall), (("op", "a"), per_target)) == 1
    assert windows.within(0.2, ("op", overall), (("op", "b"), per_target)) == -1
    assert windows.within(0.3, ("op", overall), (("op", "c"), per_target)) == -1
    assert windows.within(0.4, ("op", overall), (("op", "d"), per_target)) == 0


def test_quiet_windows_are_pruned() -> None:
    windows = CallWindows(prune_above=4)
    for i in range(4):
        windows.within(0.0, (i, RateLimit(1, 1.0)))
    first = windows.get(0, RateLimit(1, 1.0), 0.5)
    windows.get("new", RateLimit(1, 1.0), 5.0)  # all four went quiet: dropped
    assert windows.get(0, RateLimit(1, 1.0), 5.0) is not first


def test_a_call_that_prunes_a_window_it_checked_still_records() -> None:
    windows = CallWindows(prune_above=2)
    windows.within(0.0, ("a", RateLimit(1, 1.0)))
    windows.within(0.0, ("b", RateLimit(1, 1.0)))
    # At 5 s both are idle; checking "a" then creating "c" prunes "a" within the same call.
    assert windows.within(5.0, ("a", RateLimit(1, 1.0)), ("c", RateLimit(1, 1.0))) == -1
    assert windows.within(5.5, ("a", RateLimit(1, 1.0))) == 0
