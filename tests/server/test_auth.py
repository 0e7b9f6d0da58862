"""Who may log in (spec §4.1, §6.10): App modes and tokens, with an injected clock."""

from __future__ import annotations

import pytest

from openrtm.protocol.codes import LoginError
from openrtm.protocol.tokens import build_token_006, build_token_007
from openrtm.server.auth import Authenticator, LoginRefused
from openrtm.server.config import AppSpec
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID

NOW = 1_800_000_000
SECURE = Authenticator([AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)])


def refused(auth: Authenticator, app_id: str, uid: str, token: str | None) -> LoginError:
    with pytest.raises(LoginRefused) as info:
        auth.authenticate(app_id, uid, token, NOW)
    return info.value.code


def test_development_mode_accepts_any_well_formed_app_without_token() -> None:
    auth = Authenticator([])
    assert auth.dev_mode
    assert auth.authenticate(APP_ID, "alice", None, NOW).token_deadline is None
    assert refused(auth, "not-an-app-id", "alice", None) is LoginError.INVALID_APP_ID
    assert refused(auth, APP_ID, "null", None) is LoginError.INVALID_ARGUMENT


def test_app_id_only_mode_needs_no_token() -> None:
    assert SECURE.authenticate(OTHER_APP_ID, "alice", None, NOW).token_deadline is None
    assert SECURE.authenticate(OTHER_APP_ID, "alice", "junk", NOW).token_deadline is None


def test_unknown_app_is_code_4() -> None:
    assert refused(SECURE, "f" * 32, "alice", None) is LoginError.INVALID_APP_ID


def test_007_token_deadline_is_issue_plus_expire() -> None:
    token = build_token_007(APP_ID, APP_CERT, "alice", 600, issue_ts=NOW - 100)
    assert SECURE.authenticate(APP_ID, "alice", token, NOW).token_deadline == NOW + 500


def test_006_token_deadline_is_24_hours_after_building() -> None:
    token = build_token_006(APP_ID, APP_CERT, "alice", 0, now=NOW - 100)
    assert SECURE.authenticate(APP_ID, "alice", token, NOW).token_deadline == NOW - 100 + 86400


@pytest.mark.parametrize(
    ("uid", "token", "code"),
    [
        ("alice", None, LoginError.INVALID_TOKEN),
        ("alice", "", LoginError.INVALID_TOKEN),
        (
            "bob",
            build_token_007(APP_ID, APP_CERT, "alice", 600, issue_ts=NOW),
            LoginError.INVALID_TOKEN,
        ),
        (
            "alice",
            build_token_007(APP_ID, APP_CERT, "alice", 60, issue_ts=NOW - 60),
            LoginError.TOKEN_EXPIRED,
        ),
        (
            "alice",
            build_token_006(APP_ID, APP_CERT, "alice", 0, now=NOW - 86400),
            LoginError.TOKEN_EXPIRED,
        ),
    ],
)
def test_certificate_apps_need_a_valid_token(uid: str, token: str | None, code: LoginError) -> None:
    assert refused(SECURE, APP_ID, uid, token) is code
