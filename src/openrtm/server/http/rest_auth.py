"""Who is calling the REST API: the two schemes of spec §7.1, and the App in the path.

- **HTTP Basic** with customer credentials configured on the server (``--rest-credentials
  ID:SECRET``, or ``rest_credentials`` in the TOML file): the caller is the App's back end and
  may act as any user of any App the server accepts; only it may read the vendor events and
  the message history.
- **``x-agora-token`` + ``x-agora-uid``**: checked exactly as a login of that uid would be
  (:meth:`~openrtm.server.auth.Authenticator.authenticate`); the caller may act only as that
  uid. An App in "App ID only" mode, or any App in development mode, needs no token at login,
  so there ``x-agora-uid`` alone authenticates (a token given is ignored, as at login).

Wrong or missing credentials are 401 (with ``WWW-Authenticate: Basic``), as is a token of
another App; an authenticated caller acting as another uid, or a token holder reading what
only the App's back end may, is 403. An App ID that is malformed or not served is 404.
"""

from __future__ import annotations

import binascii
import hmac
import time
from dataclasses import dataclass

from aiohttp import BasicAuth, hdrs, web

from openrtm.server.auth import LoginRefused
from openrtm.server.http.context import NODE
from openrtm.server.http.errors import RestError

__all__ = ["Caller", "authenticate"]

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="openrtm REST API", charset="UTF-8"'}


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated REST caller.

    Attributes:
        app_id: the App of the request path.
        uid: the one user a token holder may act as; None for a customer (HTTP Basic), who
            may act as anyone.
    """

    app_id: str
    uid: str | None

    def act_as(self, user_id: str) -> None:
        """Refuse (403) to send as ``user_id`` unless this caller may.

        Raises:
            RestError: 403 ``forbidden``.
        """
        if self.uid is not None and self.uid != user_id:
            raise RestError(403, "forbidden", "the token's uid may only act as itself")

    def require_customer(self) -> None:
        """Refuse (403) a token holder: vendor events and history are the back end's.

        Raises:
            RestError: 403 ``forbidden``.
        """
        if self.uid is not None:
            raise RestError(403, "forbidden", "this endpoint needs the customer credentials")


def _unauthorized(message: str) -> RestError:
    return RestError(401, "unauthorized", message, _CHALLENGE)


def authenticate(request: web.Request) -> Caller:
    """Authenticate ``request`` for the App in its path.

    Raises:
        RestError: 404 ``unknown_app``, or 401 ``unauthorized``.
    """
    node = request.app[NODE]
    app_id = request.match_info["appid"]
    if not node.auth.accepts(app_id):
        raise RestError(404, "unknown_app", "no such App on this server")
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is not None:
        _check_basic(request, header)
        return Caller(app_id, None)
    uid = request.headers.get("x-agora-uid")
    if uid is None:
        raise _unauthorized("credentials required: HTTP Basic or x-agora-token and x-agora-uid")
    token = request.headers.get("x-agora-token")
    try:
        node.auth.authenticate(app_id, uid, token, int(time.time()))
    except LoginRefused as exc:
        # The login's own reason (invalid token, token expired, invalid uid), never the token.
        raise _unauthorized(str(exc)) from None
    return Caller(app_id, uid)


def _check_basic(request: web.Request, header: str) -> None:
    try:
        auth = BasicAuth.decode(header, encoding="utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _unauthorized("malformed Authorization header") from None
    user, password = auth.login.encode(), auth.password.encode()
    found = False
    for credential in request.app[NODE].config.rest_credentials:
        # Compare every one, in constant time: how long a refusal takes tells nothing.
        same_id = hmac.compare_digest(user, credential.customer_id.encode())
        same_secret = hmac.compare_digest(password, credential.secret.encode())
        found |= same_id and same_secret
    if not found:
        raise _unauthorized("wrong customer ID or secret")
