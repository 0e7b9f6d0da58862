"""The OpenAPI 3.1 document of the HTTP face, served at ``GET /openapi.json``.

It describes every endpoint the face serves: the REST API of spec §7 under
``/dev/v2/project/{appid}/``, the media transfers, and ``/healthz``, ``/readyz``,
``/metrics`` and this document. The tests check
the live answers against it (every status seen is documented here, and every JSON body
validates against its schema), so it stays true. docs/rest-api.md is the prose for people.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from openrtm._version import VERSION

__all__ = ["DOCUMENT", "setup"]

_REF_ERROR = {"$ref": "#/components/schemas/Error"}

_ERROR_TEXT = {
    400: "Malformed JSON, a field of the wrong type or value, an invalid id, an empty or too "
    "large payload (spec §5.2).",
    401: "Missing or wrong credentials, or a token not valid for this App and uid (spec §7.1).",
    403: "Authenticated, but not allowed: a token's uid acting as another user, or a token "
    "holder calling an endpoint that needs the customer credentials.",
    404: "The App ID in the path is malformed or not served here.",
    408: "The message router did not answer in time; retry later.",
    410: "The history query handle is unknown, expired or another App's: query again.",
    413: "The body is larger than the server accepts (1 MiB).",
    415: "The body is not `application/json` (UTF-8).",
    429: "Over this App's rate limit for the endpoint (spec §5.4); `Retry-After` says when.",
    503: "The store is not available (starting, stopping, Redis unreachable); retry later.",
}


def _error(status: int) -> dict[str, Any]:
    return {
        "description": _ERROR_TEXT[status],
        "content": {"application/json": {"schema": _REF_ERROR}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok}
    for status in errors:
        responses[str(status)] = _error(status)
    return responses


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_STR = {"type": "string"}
_BOOL = {"type": "boolean", "default": False}
_MS = {"type": "integer", "description": "milliseconds since the Unix epoch"}
_ID = {"type": "string", "minLength": 1, "maxLength": 64, "description": "spec §5.1"}
_PAYLOAD = {
    "type": "string",
    "minLength": 1,
    "description": "non-empty, at most 32 KB of UTF-8 (spec §5.2); delivered as a TEXT message",
}

_APPID = {
    "name": "appid",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-Za-z]{32}$"},
}
_USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "description": "the sender; a token's caller may only name its own uid",
    "schema": _ID,
}

_MESSAGE_ERRORS = (400, 401, 403, 404, 413, 415, 429)
_SECURITY: list[dict[str, list[str]]] = [
    {"basicAuth": []},
    {"agoraToken": [], "agoraUid": []},
    {"agoraUid": []},
]
_CUSTOMER_ONLY: list[dict[str, list[str]]] = [{"basicAuth": []}]

# --- media transfers (docs/protocol.md §10; spec §1.2, §4.16) ------------------------------

_MEDIA_ERROR_TEXT = {
    400: "2 INVALID_ARGUMENT: an empty body, a multipart body (send the raw bytes), a bad Range.",
    401: "102 NOT_LOGGED_IN: no media ticket, or not one of a live login session.",
    404: "4 NOT_EXIST: an unknown, expired or another App's media id.",
    408: "3 TIMEOUT: no byte moved for the server's media_stall_timeout.",
    413: "4 SIZE_OVERFLOW: over the server's media_max_bytes (30 MB by default, spec §5.2).",
    429: "5 CONCURRENCY_LIMIT_EXCEEDED: 9 transfers of this session under way (spec §5.2).",
    503: "1 FAILURE: the server cannot store the object (disk, database).",
}


def _media_responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = dict(ok)
    for status in errors:
        responses[str(status)] = {
            "description": _MEDIA_ERROR_TEXT[status],
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/MediaError"}}
            },
        }
    return responses


_MEDIA_SECURITY: list[dict[str, list[str]]] = [{"mediaTicket": []}]

_MEDIA_UPLOAD = {
    "post": {
        "operationId": "uploadMedia",
        "summary": "Upload the object of a FILE or IMAGE message (spec §1.2)",
        "description": "The raw bytes are the body (not multipart), streamed. The answer's "
        "media_id goes into the message's media field.",
        "security": _MEDIA_SECURITY,
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
        "responses": _media_responses(
            {
                "200": _json(
                    "Stored.",
                    _obj(
                        ["media_id", "size", "content_type"],
                        media_id=_STR,
                        size={"type": "integer", "minimum": 1},
                        content_type=_STR,
                        width={"type": "integer"},
                        height={"type": "integer"},
                    ),
                )
            },
            400,
            401,
            408,
            413,
            429,
            503,
        ),
    }
}

_MEDIA_DOWNLOAD = {
    "get": {
        "operationId": "downloadMedia",
        "summary": "Download a media object (spec §1.2); HEAD answers its headers",
        "description": "Served with its sniffed Content-Type and its Content-Length; a Range "
        "request gets 206 with that part, or 416 outside the object.",
        "security": _MEDIA_SECURITY,
        "parameters": [{"name": "media_id", "in": "path", "required": True, "schema": _STR}],
        "responses": _media_responses(
            {
                "200": {
                    "description": "The object.",
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "206": {
                    "description": "The part named by Range.",
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "416": {"description": "The Range lies outside the object."},
            },
            400,
            401,
            404,
            408,
            429,
        ),
    }
}


_PEER_MESSAGE = {
    "post": {
        "operationId": "sendPeerMessage",
        "summary": "Send a peer-to-peer message as user_id (spec §7.2)",
        "description": "The sender need not be logged in. The receiver's SDK gets a TEXT "
        "message from user_id (MessageFromPeer).",
        "security": _SECURITY,
        "parameters": [
            _APPID,
            _USER_ID,
            {
                "name": "wait_for_ack",
                "in": "query",
                "required": False,
                "description": "true: answer once the receiver's SDK acknowledged the message",
                "schema": {"type": "string", "enum": ["true", "false"], "default": "false"},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _obj(
                        ["destination", "payload"],
                        destination=_ID,
                        payload=_PAYLOAD,
                        enable_offline_messaging=_BOOL,
                        enable_historical_messaging=_BOOL,
                    )
                }
            },
        },
        "responses": _responses(
            _json(
                "The outcome. `message_sent`: a session of the receiver took it (without "
                "`wait_for_ack`), or took it but did not acknowledge it in time; "
                "`message_delivered`: the receiver's SDK acknowledged it; `message_offline`: "
                "the receiver is offline and the message was stored for its next login; "
                '`peer_offline` (with `"result": "failed"`): offline, nothing stored.',
                _obj(
                    ["result", "request_id", "code"],
                    result={"type": "string", "enum": ["success", "failed"]},
                    request_id=_STR,
                    code={
                        "type": "string",
                        "enum": [
                            "message_sent",
                            "message_delivered",
                            "message_offline",
                            "peer_offline",
                        ],
                    },
                ),
            ),
            *_MESSAGE_ERRORS,
            408,
            503,
        ),
    }
}

_CHANNEL_MESSAGE = {
    "post": {
        "operationId": "sendChannelMessage",
        "summary": "Send a channel message as user_id (spec §7.3)",
        "description": "The sender need not log in or join. Every member but user_id gets "
        "ChannelMessage from user_id.",
        "security": _SECURITY,
        "parameters": [_APPID, _USER_ID],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _obj(
                        ["channel_name", "payload"],
                        channel_name=_ID,
                        payload=_PAYLOAD,
                        enable_historical_messaging=_BOOL,
                    )
                }
            },
        },
        "responses": _responses(
            _json(
                "Handed to the channel's members.",
                _obj(
                    ["result", "request_id", "code"],
                    result={"const": "success"},
                    request_id=_STR,
                    code={"const": "message_sent"},
                ),
            ),
            *_MESSAGE_ERRORS,
        ),
    }
}


def _events(summary: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": summary.split()[1] + "Events",
            "summary": summary,
            "description": "Destructive read: the oldest events (at most 1,000), deleted once "
            "returned; 2,000 are kept per App. Customer credentials only.",
            "security": _CUSTOMER_ONLY,
            "parameters": [_APPID],
            "responses": _responses(
                _json(
                    "The events, oldest first.",
                    _obj(
                        ["result", "request_id", "events"],
                        result={"const": "success"},
                        request_id=_STR,
                        events={"type": "array", "maxItems": 1000, "items": event},
                    ),
                ),
                401,
                403,
                404,
                429,
                503,
            ),
        }
    }


_USER_EVENT = _obj(
    ["user_id", "type", "ms"], user_id=_STR, type={"enum": ["Login", "Logout"]}, ms=_MS
)
_CHANNEL_EVENT = _obj(
    ["group_id", "user_id", "type", "ms"],
    group_id={"type": "string", "description": "the channel id"},
    user_id=_STR,
    type={"enum": ["Join", "Leave"]},
    ms=_MS,
)

_TIME = {
    "type": "string",
    "description": "RFC 3339 with a zone, e.g. 2019-08-01T01:22:10Z (docs/rest-api.md)",
}
_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
_HISTORY_ERRORS = (401, 403, 404, 429)

_HISTORY_QUERY = {
    "post": {
        "operationId": "createHistoryQuery",
        "summary": "Start a message history query (spec §7.4)",
        "description": "Archived TEXT messages sent with historical messaging. Poll the "
        "location for the result. Customer credentials only.",
        "security": _CUSTOMER_ONLY,
        "parameters": [_APPID],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _obj(
                        ["filter"],
                        filter=_obj(
                            ["start_time", "end_time"],
                            source=_NULLABLE_ID,
                            destination=_NULLABLE_ID,
                            start_time=_TIME,
                            end_time=_TIME,
                        ),
                        offset={"type": "integer", "minimum": 0, "default": 0},
                        limit={"enum": [20, 50, 100], "default": 20},
                        order={"enum": ["asc", "desc"], "default": "desc"},
                    )
                }
            },
        },
        "responses": _responses(
            _json(
                "The query runs; poll `location` (relative to the App's base path).",
                _obj(
                    ["result", "offset", "limit", "order", "location"],
                    result={"const": "success"},
                    offset={"type": "integer", "minimum": 0},
                    limit={"enum": [20, 50, 100]},
                    order={"enum": ["asc", "desc"]},
                    location={"type": "string", "pattern": "^~/rtm/message/history/query/.+"},
                ),
            ),
            400,
            *_HISTORY_ERRORS,
            413,
            415,
        ),
    }
}

_HISTORY_MESSAGE = _obj(
    ["src", "dst", "payload", "ts"],
    src={"type": "string", "description": "the sender"},
    dst={"type": "string", "description": "the receiver, or the channel"},
    payload=_STR,
    ts=_MS,
)

_HISTORY_POLL = {
    "get": {
        "operationId": "getHistoryQuery",
        "summary": "Poll a message history query (spec §7.4)",
        "security": _CUSTOMER_ONLY,
        "parameters": [
            _APPID,
            {"name": "handle", "in": "path", "required": True, "schema": _STR},
        ],
        "responses": _responses(
            _json(
                "`in progress` (no messages yet: poll again) or `ok` with the page.",
                _obj(
                    ["result", "code", "messages"],
                    result={"const": "success"},
                    code={"enum": ["in progress", "ok"]},
                    messages={"type": "array", "maxItems": 100, "items": _HISTORY_MESSAGE},
                ),
            ),
            *_HISTORY_ERRORS,
            410,
            503,
        ),
    }
}


def _query_param(name: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": _STR}


_HISTORY_COUNT = {
    "get": {
        "operationId": "countHistory",
        "summary": "Count archived messages (spec §7.4)",
        "description": "The query's filter in the query string; an empty or absent source or "
        "destination means any (not both).",
        "security": _CUSTOMER_ONLY,
        "parameters": [
            _APPID,
            _query_param("source", False),
            _query_param("destination", False),
            _query_param("start_time", True),
            _query_param("end_time", True),
        ],
        "responses": _responses(
            _json(
                "The count.",
                _obj(
                    ["result", "code", "count"],
                    result={"const": "success"},
                    code={"const": "ok"},
                    count={"type": "integer", "minimum": 0},
                ),
            ),
            400,
            *_HISTORY_ERRORS,
            503,
        ),
    }
}

_STATUS = _obj(["status"], status=_STR)

_BASE = "/dev/v2/project/{appid}"

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "openrtm HTTP API",
        "version": VERSION,
        "description": "The Agora RTM 1.x RESTful API (spec §7) as openrtm serves it, and "
        "its health endpoints. Prose and curl examples: docs/rest-api.md.",
    },
    "paths": {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness: 200 whenever the process is up",
                "security": [],
                "responses": {"200": _json("Up.", _STATUS)},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: 200 only while the store is open",
                "security": [],
                "responses": {
                    "200": _json("Ready.", _STATUS),
                    "503": _json(
                        "Not ready (starting, stopping, or its Redis unreachable).", _STATUS
                    ),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "The node's metrics for Prometheus (docs/operations.md)",
                "description": "Prometheus text format; OpenMetrics when the Accept header "
                "asks for application/openmetrics-text.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The metrics.",
                        "content": {
                            "text/plain": {"schema": {"type": "string"}},
                            "application/openmetrics-text": {"schema": {"type": "string"}},
                        },
                    }
                },
            }
        },
        "/sdk/server.json": {
            "get": {
                "operationId": "sdkServer",
                "summary": "The WebSocket URL for a browser SDK loaded from this server",
                "security": [],
                "responses": {
                    "200": _json(
                        "Where to connect: this host, the WebSocket endpoint's port.",
                        _obj(["websocket"], websocket=_STR),
                    )
                },
            }
        },
        "/sdk/{name}": {
            "get": {
                "operationId": "sdkFile",
                "summary": "The browser SDK: agora-rtm-sdk.js, agora-rtm-sdk.min.js (a global "
                "AgoraRTM), agora-rtm-sdk.mjs (an ES module), AgoraRTM.d.ts (its TypeScript "
                "types)",
                "security": [],
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": _STR}],
                "responses": {
                    "200": {
                        "description": "The file, with Access-Control-Allow-Origin: *.",
                        "content": {
                            "text/javascript": {"schema": {"type": "string"}},
                            "application/typescript": {"schema": {"type": "string"}},
                        },
                    },
                    "404": {
                        "description": "No such file.",
                        "content": {"application/json": {"schema": _REF_ERROR}},
                    },
                },
            }
        },
        "/": {
            "get": {
                "operationId": "demoPage",
                "summary": "The demo web app: an Agora RTM 1.x Web app on the browser SDK "
                "(docs/js-sdk.md)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Its page.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/demo/{name}": {
            "get": {
                "operationId": "demoFile",
                "summary": "The demo web app's assets: app.js and style.css",
                "security": [],
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": _STR}],
                "responses": {
                    "200": {
                        "description": "The file.",
                        "content": {
                            "text/javascript": {"schema": {"type": "string"}},
                            "text/css": {"schema": {"type": "string"}},
                        },
                    },
                    "404": {
                        "description": "No such file.",
                        "content": {"application/json": {"schema": _REF_ERROR}},
                    },
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {"200": _json("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/media": _MEDIA_UPLOAD,
        "/media/{media_id}": _MEDIA_DOWNLOAD,
        _BASE + "/rtm/users/{user_id}/peer_messages": _PEER_MESSAGE,
        _BASE + "/rtm/users/{user_id}/channel_messages": _CHANNEL_MESSAGE,
        _BASE + "/rtm/vendor/user_events": _events("Read user events (spec §7.5)", _USER_EVENT),
        _BASE + "/rtm/vendor/channel_events": _events(
            "Read channel events (spec §7.5)", _CHANNEL_EVENT
        ),
        _BASE + "/rtm/message/history/query": _HISTORY_QUERY,
        _BASE + "/rtm/message/history/query/{handle}": _HISTORY_POLL,
        _BASE + "/rtm/message/history/count": _HISTORY_COUNT,
    },
    "components": {
        "schemas": {
            "MediaError": {
                "description": "Every refused media transfer has this shape: the code of "
                "spec §4.16 (UploadMediaError or DownloadMediaError) and the Web SDK's error "
                "class name, which an SDK raises as is.",
                **_obj(
                    ["code", "name", "message"],
                    code={"type": "integer"},
                    name={"type": "string"},
                    message={"type": "string"},
                ),
            },
            "Error": {
                "description": "Every error of the REST API and of the HTTP face outside the "
                "media transfers has this shape.",
                **_obj(
                    ["result", "code", "message"],
                    result={"const": "failed"},
                    code={
                        "type": "string",
                        "description": "stable, lower-case: bad_request, unauthorized, "
                        "forbidden, unknown_app, not_found, method_not_allowed, timeout, gone, "
                        "payload_too_large, unsupported_media_type, too_many_requests, "
                        "unavailable, internal_error",
                    },
                    message={"type": "string"},
                ),
            },
        },
        "securitySchemes": {
            "basicAuth": {
                "type": "http",
                "scheme": "basic",
                "description": "Customer ID and secret configured with --rest-credentials; may "
                "act as any user of the App.",
            },
            "agoraToken": {
                "type": "apiKey",
                "in": "header",
                "name": "x-agora-token",
                "description": "An RTM token for x-agora-uid, checked as at login.",
            },
            "mediaTicket": {
                "type": "http",
                "scheme": "bearer",
                "description": "The media ticket of a live SDK login session (the login "
                "reply's media_ticket): only logged-in users of the App transfer media.",
            },
            "agoraUid": {
                "type": "apiKey",
                "in": "header",
                "name": "x-agora-uid",
                "description": "The uid the caller acts as. Alone (no token) only for an App "
                "in App-ID-only mode or a server in development mode, as at login.",
            },
        },
    },
}


async def openapi_json(request: web.Request) -> web.Response:
    """``GET /openapi.json``."""
    return web.json_response(DOCUMENT)


def setup(app: web.Application) -> None:
    """Add ``GET /openapi.json``."""
    app.router.add_get("/openapi.json", openapi_json)
