"""Who may log in: App ID modes and token verification (spec §4.1, §6.10, §8).

Three ways an App is set up: development mode (no App configured: any well-formed App ID, no
token), "App ID only" (configured without a certificate: no token needed, a token given is
ignored, as Agora does), and with a certificate (a valid 006 or 007 token for the same uid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openrtm.protocol.codes import LoginError
from openrtm.protocol.limits import is_valid_app_id, is_valid_user_id
from openrtm.protocol.tokens import TokenExpiredError, TokenInvalidError, verify_token
from openrtm.server.config import AppSpec

__all__ = ["Authenticator", "LoginGrant", "LoginRefused"]


class LoginRefused(Exception):
    """A login is refused with ``code`` (spec §4.1)."""

    def __init__(self, code: LoginError, detail: str) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class LoginGrant:
    """A login the authenticator accepted.

    Attributes:
        token_deadline: Unix seconds when the token stops being valid; None without a token.
    """

    token_deadline: int | None


class Authenticator:
    """Decides logins for the configured Apps; no Apps means development mode."""

    def __init__(self, apps: Iterable[AppSpec]) -> None:
        self._certificates: dict[str, str | None] = {a.app_id: a.certificate for a in apps}
        self.dev_mode = not self._certificates

    def accepts(self, app_id: str) -> bool:
        """Whether ``app_id`` is an App this server serves (any well-formed one in dev mode)."""
        if not is_valid_app_id(app_id):
            return False
        return self.dev_mode or app_id in self._certificates

    def authenticate(self, app_id: str, uid: str, token: str | None, now: int) -> LoginGrant:
        """Check one login at Unix time ``now``.

        Raises:
            LoginRefused: with INVALID_APP_ID (4), INVALID_ARGUMENT (3), INVALID_TOKEN (5) or
                TOKEN_EXPIRED (6).
        """
        if not is_valid_app_id(app_id):
            raise LoginRefused(LoginError.INVALID_APP_ID, "invalid App ID")
        if not is_valid_user_id(uid):
            raise LoginRefused(LoginError.INVALID_ARGUMENT, "invalid uid")
        if self.dev_mode:
            return LoginGrant(None)
        if app_id not in self._certificates:
            raise LoginRefused(LoginError.INVALID_APP_ID, "unknown App ID")
        certificate = self._certificates[app_id]
        if certificate is None:
            return LoginGrant(None)
        if not token:
            raise LoginRefused(LoginError.INVALID_TOKEN, "a token is required for this App")
        try:
            verified = verify_token(
                token, app_id=app_id, app_certificate=certificate, uid=uid, now=now
            )
        except TokenExpiredError as exc:
            raise LoginRefused(LoginError.TOKEN_EXPIRED, "token expired") from exc
        except TokenInvalidError as exc:
            raise LoginRefused(LoginError.INVALID_TOKEN, "invalid token") from exc
        return LoginGrant(verified.deadline)
