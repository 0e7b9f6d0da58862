"""The two invitation lifecycles of spec §1.5 as tables (design §7).

A lifecycle moves only along ``LOCAL_TRANSITIONS`` / ``REMOTE_TRANSITIONS``: a change the table
does not allow (a push about an invitation that already ended, say) changes nothing. Each
state reached has its event (``LOCAL_EVENTS`` / ``REMOTE_EVENTS``). The API calls are refused
by ``LOCAL_CALL_ERRORS`` / ``REMOTE_CALL_ERRORS`` with the codes of spec §4.14.
"""

from __future__ import annotations

from openrtm.protocol.codes import InvitationApiCallError as CallError
from openrtm.protocol.codes import LocalInvitationState as Local
from openrtm.protocol.codes import RemoteInvitationState as Remote

__all__ = [
    "LOCAL_CALL_ERRORS",
    "LOCAL_ENDED",
    "LOCAL_EVENTS",
    "LOCAL_TRANSITIONS",
    "REMOTE_CALL_ERRORS",
    "REMOTE_ENDED",
    "REMOTE_EVENTS",
    "REMOTE_TRANSITIONS",
]

LOCAL_ENDED = frozenset(
    {Local.ACCEPTED_BY_REMOTE, Local.REFUSED_BY_REMOTE, Local.CANCELED, Local.FAILURE}
)
_LOCAL_SENT = (Local.SENT_TO_REMOTE, Local.RECEIVED_BY_REMOTE)

# (state, state reached) pairs allowed; the caller's invitation.
LOCAL_TRANSITIONS: frozenset[tuple[Local, Local]] = frozenset(
    {
        (Local.IDLE, Local.SENT_TO_REMOTE),  # send()
        (Local.IDLE, Local.FAILURE),  # send() while not logged in: NOT_LOGGEDIN
        (Local.SENT_TO_REMOTE, Local.RECEIVED_BY_REMOTE),
        *((s, Local.ACCEPTED_BY_REMOTE) for s in _LOCAL_SENT),
        *((s, Local.REFUSED_BY_REMOTE) for s in _LOCAL_SENT),
        *((s, Local.CANCELED) for s in _LOCAL_SENT),
        *((s, Local.FAILURE) for s in _LOCAL_SENT),
    }
)

# The event each state emits on the LocalInvitation when reached (None: no event).
LOCAL_EVENTS: dict[Local, str | None] = {
    Local.SENT_TO_REMOTE: None,
    Local.RECEIVED_BY_REMOTE: "LocalInvitationReceivedByPeer",
    Local.ACCEPTED_BY_REMOTE: "LocalInvitationAccepted",  # (response)
    Local.REFUSED_BY_REMOTE: "LocalInvitationRefused",  # (response)
    Local.CANCELED: "LocalInvitationCanceled",
    Local.FAILURE: "LocalInvitationFailure",  # (reason)
}

REMOTE_ENDED = frozenset({Remote.REFUSED, Remote.ACCEPTED, Remote.CANCELED, Remote.FAILURE})
_REMOTE_OPEN = (Remote.INVITATION_RECEIVED, Remote.ACCEPT_SENT_TO_LOCAL)

# (state, state reached) pairs allowed; the callee's invitation.
REMOTE_TRANSITIONS: frozenset[tuple[Remote, Remote]] = frozenset(
    {
        (Remote.INVITATION_RECEIVED, Remote.ACCEPT_SENT_TO_LOCAL),  # accept()
        (Remote.ACCEPT_SENT_TO_LOCAL, Remote.ACCEPTED),  # the caller acknowledged it
        (Remote.INVITATION_RECEIVED, Remote.REFUSED),  # refuse(), once the server has it
        *((s, Remote.CANCELED) for s in _REMOTE_OPEN),
        *((s, Remote.FAILURE) for s in _REMOTE_OPEN),
    }
)

REMOTE_EVENTS: dict[Remote, str | None] = {
    Remote.ACCEPT_SENT_TO_LOCAL: None,
    Remote.ACCEPTED: "RemoteInvitationAccepted",
    Remote.REFUSED: "RemoteInvitationRefused",
    Remote.CANCELED: "RemoteInvitationCanceled",  # (content)
    Remote.FAILURE: "RemoteInvitationFailure",  # (reason)
}

# (API call, state) -> the code it is refused with; absent pairs are allowed.
LOCAL_CALL_ERRORS: dict[tuple[str, Local], CallError] = {
    **{("send", s): CallError.ALREADY_SENT for s in _LOCAL_SENT},
    **{("send", s): CallError.ALREADY_END for s in LOCAL_ENDED},
    ("cancel", Local.IDLE): CallError.NOT_STARTED,
    **{("cancel", s): CallError.ALREADY_END for s in LOCAL_ENDED},
}

REMOTE_CALL_ERRORS: dict[tuple[str, Remote], CallError] = {
    **{
        (call, Remote.ACCEPT_SENT_TO_LOCAL): CallError.ALREADY_ACCEPT
        for call in ("accept", "refuse")
    },
    **{(call, s): CallError.ALREADY_END for call in ("accept", "refuse") for s in REMOTE_ENDED},
}
