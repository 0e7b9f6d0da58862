"""Frames of call invitations (spec §1.5, §2.3, §4.14).

Part of the wire protocol of :mod:`openrtm.protocol.messages` (``docs/protocol.md`` §7). The
caller names each invitation with a ``call`` id of its own, unique within its login session;
the pair (caller, call) names it everywhere. The server runs the invitation's timers; the SDKs
keep the two lifecycles of spec §1.5 and learn of every change through ``call_local`` (to the
caller) and ``call_remote`` (to the callee) pushes.
"""

from __future__ import annotations

import msgspec

from openrtm.protocol.codes import (
    InvitationApiCallError,
    LocalInvitationState,
    RemoteInvitationState,
)
from openrtm.protocol.limits import (
    MAX_INVITATION_TEXT_BYTES,
    is_valid_channel_id,
    text_size,
)
from openrtm.protocol.messages import ClientMessage, Request, ServerFrame

__all__ = [
    "MAX_CALL_ID_CHARS",
    "CallAccepted",
    "CallAnswer",
    "CallCancel",
    "CallInvite",
    "CallInvitePush",
    "CallReceived",
    "LocalCallPush",
    "RemoteCallPush",
    "invitation_error",
]

# The caller's name for an invitation: an SDK uses a random hex string; anything longer is
# refused so that a client cannot make the server keep large keys.
MAX_CALL_ID_CHARS = 64


def invitation_error(text: str, channel: str = "") -> str | None:
    """Return why an invitation's content (or response) and channel are invalid, or None.

    Spec §1.5, §4.14: content and response are at most 8 KB of UTF-8; a channel id, when set,
    follows the channel-id rules (legacy Signaling interop only: nobody joins it).
    """
    if text_size(text) > MAX_INVITATION_TEXT_BYTES:
        return "over 8 KB"
    if channel and not is_valid_channel_id(channel):
        return "invalid channel id"
    return None


class _CallRequest(Request):
    errors = InvitationApiCallError
    invalid_code = InvitationApiCallError.INVALID_ARGUMENT
    not_logged_in_code = InvitationApiCallError.NOT_LOGGED_IN


class CallInvite(_CallRequest, tag="call_invite"):
    """Invite user ``to`` (``LocalInvitation.send``); the reply says the server has it.

    Sending the same ``call`` again while it lives is answered again and changes nothing (a
    retry after a lost link).
    """

    call: str
    to: str
    content: str = ""
    channel: str = ""


class CallCancel(_CallRequest, tag="call_cancel"):
    """Cancel invitation ``call`` (``LocalInvitation.cancel``); code 3 if it already ended."""

    call: str


class CallAnswer(_CallRequest, tag="call_answer"):
    """Accept or refuse ``caller``'s invitation ``call`` with an optional ``response``.

    The reply says the answer is on its way to the caller (code 3 if the invitation already
    ended); an acceptance is complete when ``call_remote`` says ACCEPTED.
    """

    caller: str
    call: str
    accept: bool
    response: str = ""


class CallReceived(ClientMessage, tag="call_received"):
    """The callee's SDK acknowledges a ``call_invite`` push (no reply)."""

    caller: str
    call: str

    errors = InvitationApiCallError
    invalid_code = InvitationApiCallError.INVALID_ARGUMENT
    not_logged_in_code = None


class CallAccepted(ClientMessage, tag="call_accepted"):
    """The caller's SDK acknowledges the acceptance of its invitation ``call`` (no reply).

    Spec §1.5: without it within 5 s the callee's invitation fails with ACCEPT_FAILURE.
    """

    call: str

    errors = InvitationApiCallError
    invalid_code = InvitationApiCallError.INVALID_ARGUMENT
    not_logged_in_code = None


class CallInvitePush(ServerFrame, tag="call_invite"):
    """An invitation for this user (``RemoteInvitationReceived``); ack it with
    ``call_received``."""

    caller: str = msgspec.field(name="from")
    call: str
    content: str = ""
    channel: str = ""


class LocalCallPush(ServerFrame, tag="call_local"):
    """The caller's invitation ``call`` is now ``state``.

    RECEIVED_BY_REMOTE, ACCEPTED_BY_REMOTE and REFUSED_BY_REMOTE (with the callee's
    ``response``), or FAILURE with a ``reason`` (LocalInvitationFailureReason).
    """

    call: str
    state: LocalInvitationState
    response: str = ""
    reason: str = ""


class RemoteCallPush(ServerFrame, tag="call_remote"):
    """The callee's invitation ``call`` from ``caller`` is now ``state``.

    ACCEPTED (the caller acknowledged the acceptance), CANCELED, or FAILURE with a ``reason``
    (RemoteInvitationFailureReason).
    """

    caller: str = msgspec.field(name="from")
    call: str
    state: RemoteInvitationState
    reason: str = ""
