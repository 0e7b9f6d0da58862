"""The client's connection states and their transitions, as a table (spec §3.2, design §7)."""

from __future__ import annotations

from enum import Enum

from openrtm.protocol.codes import ConnectionChangeReason as Reason
from openrtm.protocol.codes import ConnectionState as State

__all__ = ["TRANSITIONS", "Trigger", "next_state"]


class Trigger(Enum):
    """What can happen to a client's connection."""

    LOGIN = "login"  # login() called
    ACCEPTED = "accepted"  # the server accepted a login or re-login
    REJECTED = "rejected"  # the server refused the login
    TIMED_OUT = "timed_out"  # no answer to the login in time
    LOGOUT = "logout"  # logout() called
    LINK_LOST = "link_lost"  # the connection dropped and will be retried
    KICKED = "kicked"  # the server ended the session for good (reason from the close code)


_LOGGED_IN = (State.CONNECTED, State.RECONNECTING)

# (state, trigger) → (new state, reason); a reason of None is the one the close code gives.
TRANSITIONS: dict[tuple[State, Trigger], tuple[State, Reason | None]] = {
    (State.DISCONNECTED, Trigger.LOGIN): (State.CONNECTING, Reason.LOGIN),
    (State.CONNECTING, Trigger.ACCEPTED): (State.CONNECTED, Reason.LOGIN_SUCCESS),
    (State.CONNECTING, Trigger.REJECTED): (State.DISCONNECTED, Reason.LOGIN_FAILURE),
    (State.CONNECTING, Trigger.TIMED_OUT): (State.DISCONNECTED, Reason.LOGIN_TIMEOUT),
    (State.CONNECTING, Trigger.LOGOUT): (State.DISCONNECTED, Reason.LOGOUT),
    (State.CONNECTED, Trigger.LINK_LOST): (State.RECONNECTING, Reason.INTERRUPTED),
    (State.RECONNECTING, Trigger.ACCEPTED): (State.CONNECTED, Reason.LOGIN_SUCCESS),
    **{(s, Trigger.KICKED): (State.ABORTED, None) for s in _LOGGED_IN},
    **{(s, Trigger.LOGOUT): (State.DISCONNECTED, Reason.LOGOUT) for s in _LOGGED_IN},
    (State.ABORTED, Trigger.LOGOUT): (State.DISCONNECTED, Reason.LOGOUT),
}


def next_state(
    state: State, trigger: Trigger, kick_reason: Reason = Reason.INTERRUPTED
) -> tuple[State, Reason] | None:
    """Return the new state and reason, or None when ``trigger`` changes nothing in ``state``."""
    found = TRANSITIONS.get((state, trigger))
    if found is None:
        return None
    new_state, reason = found
    return new_state, reason if reason is not None else kick_reason
