"""The SDK's configuration: the Web SDK's RtmConfig keys and openrtm's own (spec §1.1)."""

from __future__ import annotations

from typing import Any

from openrtm.errors import error_for
from openrtm.protocol.codes import CreateInstanceError
from openrtm.protocol.limits import MAX_MEDIA_BYTES, MEDIA_STALL_TIMEOUT

__all__ = ["normalize_config"]

# RtmConfig keys of the Web SDK (spec §1.1), in both spellings, plus openrtm's own timing keys.
_CONFIG_KEYS = {
    "enable_log_upload": "enableLogUpload",
    "log_filter": "logFilter",
    "enable_cloud_proxy": "enableCloudProxy",
    "login_timeout": None,
    "request_timeout": None,
    "reconnect_backoff_max": None,
    "message_rate_calls": None,
    "message_rate_window": None,
    "ping_interval": None,
    "ping_timeout": None,
    "connect_timeout": None,
    "media_max_bytes": None,
    "media_stall_timeout": None,
}
_DEFAULTS: dict[str, Any] = {
    # Spec §3.1: the Web bundle gives up logging in after 12 s.
    "login_timeout": 12.0,
    # Spec §4.17: logout and most operations time out after 5-10 s.
    "request_timeout": 10.0,
    "reconnect_backoff_max": 10.0,
    # Spec §5.4: peer and channel messages, combined, mirrored from the server's default.
    "message_rate_calls": 180,
    "message_rate_window": 3.0,
    # Spec §3.1: a link not recovered within 4 s is RECONNECTING: silence for 2 s is
    # pinged, and no answer within 2 s more drops the link.
    "ping_interval": 2.0,
    "ping_timeout": 2.0,
    # One attempt to connect and upgrade; a link that swallows it is retried within the login
    # timeout instead of using all of it (spec §3.1: the Web SDK waits 6 s per edge, twice).
    "connect_timeout": 3.0,
    # Spec §5.2: uploads of at most 30 MB (the server's default limit; it has the last word).
    "media_max_bytes": MAX_MEDIA_BYTES,
    # Spec §4.17: a media transfer fails after 120 s without progress.
    "media_stall_timeout": MEDIA_STALL_TIMEOUT,
}


def normalize_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Return the settings of a client: ``config`` over the defaults, camelCase accepted.

    Raises:
        RtmInvalidArgumentError: code 1 (create instance) for an unknown key.
    """
    settings = dict(_DEFAULTS)
    camel = {v: k for k, v in _CONFIG_KEYS.items() if v}
    for key, value in (config or {}).items():
        name = camel.get(key, key)
        if name not in _CONFIG_KEYS:
            raise error_for(CreateInstanceError.INVALID_ARGUMENT, f"invalid RTM config: {key}")
        settings[name] = value
    return settings
