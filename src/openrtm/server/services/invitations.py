"""Call invitations: the caller's node runs each invitation's lifecycle (spec §1.5, §4.14).

An invitation lives on its caller's node, in the table ``TRANSITIONS``; the callee's node
only remembers which invitations its user holds, so that it can answer for them and report
them when the user goes away. Steps between the two travel as :class:`CallEvent` through the
broker, the path of a peer message, so a caller and a callee on different nodes work alike.

The timers of spec §1.5, on the node's shared timer facility (one entry per open invitation,
no task): an invitation that cannot reach a session of the callee is re-sent every
``invitation_retry_interval`` (the callee may log in meanwhile) and fails with PEER_OFFLINE
``invitation_receipt_timeout`` after sending; one that reached a session that did not
acknowledge it fails with PEER_NO_RESPONSE at that time; an acknowledged one that nobody
answers expires on both sides ``invitation_expiry`` after sending; an acceptance the caller's
SDK does not acknowledge within ``invitation_accept_timeout`` fails the callee's side with
ACCEPT_FAILURE. A caller that logs out (or is kicked, or whose grace runs out) fails its
callees' invitations with PEER_OFFLINE, and a callee that does fails the caller's the same way.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import TYPE_CHECKING, Any

from openrtm.engines.base import CallEvent, CallStep
from openrtm.protocol.codes import (
    InvitationApiCallError,
    LocalInvitationFailureReason,
    LocalInvitationState,
    RemoteInvitationFailureReason,
    RemoteInvitationState,
)
from openrtm.protocol.invitations import (
    MAX_CALL_ID_CHARS,
    CallAccepted,
    CallAnswer,
    CallCancel,
    CallInvite,
    CallInvitePush,
    CallReceived,
    LocalCallPush,
    RemoteCallPush,
    invitation_error,
)
from openrtm.protocol.limits import is_valid_user_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from openrtm.protocol.messages import ClientMessage
    from openrtm.server.node import Node
    from openrtm.server.session import Session
    from openrtm.server.timers import Timer

__all__ = ["TRANSITIONS", "CallPhase", "InvitationService"]

log = logging.getLogger("openrtm.invitations")


class CallPhase(Enum):
    """Where an invitation is, as its caller's node sees it."""

    OFFERED = "offered"  # sent; no session of the callee has it yet (re-sent until one does)
    DELIVERED = "delivered"  # pushed to a session of the callee; not acknowledged yet
    RECEIVED = "received"  # the callee's SDK acknowledged it (RECEIVED_BY_REMOTE)
    ACCEPTING = "accepting"  # accepted; waiting for the caller's SDK to acknowledge that
    ENDED = "ended"


_P, _S = CallPhase, CallStep
_OPEN = (_P.DELIVERED, _P.RECEIVED)  # the callee holds it and may still answer
TRANSITIONS: dict[tuple[CallPhase, CallStep], CallPhase] = {
    (_P.OFFERED, _S.DELIVER): _P.DELIVERED,
    (_P.DELIVERED, _S.RECEIVE): _P.RECEIVED,
    **{(phase, _S.ACCEPT): _P.ACCEPTING for phase in _OPEN},
    **{(phase, _S.REFUSE): _P.ENDED for phase in _OPEN},
    **{(phase, _S.CANCEL): _P.ENDED for phase in (_P.OFFERED, *_OPEN)},
    **{(phase, _S.DEADLINE): _P.ENDED for phase in (_P.OFFERED, *_OPEN, _P.ACCEPTING)},
    **{(phase, _S.CALLER_GONE): _P.ENDED for phase in (_P.OFFERED, *_OPEN, _P.ACCEPTING)},
    **{(phase, _S.CALLEE_GONE): _P.ENDED for phase in (*_OPEN, _P.ACCEPTING)},
    (_P.ACCEPTING, _S.CALLER_ACK): _P.ENDED,
}

_LF, _RF = LocalInvitationFailureReason, RemoteInvitationFailureReason
# What a deadline means in each phase: the caller's failure reason, the callee's (spec §1.5).
_DEADLINE: dict[CallPhase, tuple[LocalInvitationFailureReason | None, str | None]] = {
    _P.OFFERED: (_LF.PEER_OFFLINE, None),
    _P.DELIVERED: (_LF.PEER_NO_RESPONSE, _RF.INVITATION_EXPIRE.value),
    _P.RECEIVED: (_LF.INVITATION_EXPIRE, _RF.INVITATION_EXPIRE.value),
    _P.ACCEPTING: (None, _RF.ACCEPT_FAILURE.value),
}
_FAILURE = LocalInvitationState.FAILURE
_CALLEE_STATES = {
    _S.CANCEL: RemoteInvitationState.CANCELED,
    _S.ACCEPTED: RemoteInvitationState.ACCEPTED,
    _S.FAIL: RemoteInvitationState.FAILURE,
}
_PEER_OFFLINE = _RF.PEER_OFFLINE.value


class _Invitation:
    """One open invitation, kept by its caller's node."""

    __slots__ = ("call", "callee", "channel", "content", "phase", "sent_at", "session", "timer")

    def __init__(self, session: Session, request: CallInvite, now: float) -> None:
        self.session = session
        self.call = request.call
        self.callee = request.to
        self.content = request.content
        self.channel = request.channel
        self.phase = CallPhase.OFFERED
        self.sent_at = now
        self.timer: Timer | None = None


class InvitationService:
    """Owns the ``call_*`` operations and every open invitation's timers."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._outgoing: dict[str, dict[str, _Invitation]] = {}  # caller session -> call -> it
        # callee session -> (caller, call) -> the caller's session: what the callee holds
        self._incoming: dict[str, dict[tuple[str, str], str]] = {}

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The frames this service answers."""
        return {
            CallInvite: self.invite,
            CallCancel: self.cancel,
            CallAnswer: self.answer,
            CallReceived: self.received,
            CallAccepted: self.accepted,
        }

    # --- the caller's requests -------------------------------------------------------------

    def invite(self, session: Session, request: CallInvite) -> None:
        """Open an invitation and start offering it to the callee (``LocalInvitation.send``)."""
        mine = self._outgoing.get(session.session_id, {})
        if request.call in mine:
            session.reply(request.id)  # a retry after a lost link: it is open already
            return
        problem = _invite_error(request)
        if problem is not None:
            session.refuse(request.id, InvitationApiCallError.INVALID_ARGUMENT, problem)
            return
        if len(mine) >= self._node.config.max_outgoing_invitations:
            session.refuse(
                request.id, InvitationApiCallError.EXCEED_LIMIT, "too many open invitations"
            )
            return
        invitation = _Invitation(session, request, self._node.timers.now())
        self._outgoing.setdefault(session.session_id, {})[request.call] = invitation
        session.reply(request.id)
        self._offer(invitation)

    def cancel(self, session: Session, request: CallCancel) -> None:
        """Cancel an open invitation (``LocalInvitation.cancel``); code 3 once it ended."""
        invitation = self._outgoing.get(session.session_id, {}).get(request.call)
        if invitation is None or (invitation.phase, _S.CANCEL) not in TRANSITIONS:
            session.refuse(request.id, InvitationApiCallError.ALREADY_END, "invitation ended")
            return
        session.reply(request.id)
        if invitation.phase is not CallPhase.OFFERED:
            self._to_callee(invitation, _S.CANCEL)
        self._step(invitation, _S.CANCEL)

    def accepted(self, session: Session, frame: CallAccepted) -> None:
        """The caller's SDK acknowledged an acceptance: the callee's invitation is ACCEPTED."""
        invitation = self._outgoing.get(session.session_id, {}).get(frame.call)
        if invitation is not None and self._step(invitation, _S.CALLER_ACK):
            self._to_callee(invitation, _S.ACCEPTED)

    # --- the callee's requests -------------------------------------------------------------

    def received(self, session: Session, frame: CallReceived) -> None:
        """The callee's SDK acknowledged an invitation: tell its caller (RECEIVED_BY_REMOTE)."""
        caller_session = self._incoming.get(session.session_id, {}).get((frame.caller, frame.call))
        if caller_session is not None:
            self._to_caller(session, frame.caller, caller_session, frame.call, _S.RECEIVE)

    def answer(self, session: Session, request: CallAnswer) -> None:
        """Accept or refuse a held invitation; code 3 when it already ended."""
        held = self._incoming.get(session.session_id, {})
        key = (request.caller, request.call)
        caller_session = held.get(key)
        if caller_session is None:
            session.refuse(request.id, InvitationApiCallError.ALREADY_END, "invitation ended")
            return
        problem = invitation_error(request.response)
        if problem is not None:
            session.refuse(request.id, InvitationApiCallError.INVALID_ARGUMENT, problem)
            return
        if request.accept:
            step = _S.ACCEPT  # held until the caller's node says ACCEPTED or FAILURE
        else:
            step = _S.REFUSE
            del held[key]  # refused is final for the callee (spec §1.5: REFUSED)
        session.reply(request.id)
        self._to_caller(
            session, request.caller, caller_session, request.call, step, request.response
        )

    # --- events from the broker ------------------------------------------------------------

    def on_event(self, session: Session, event: CallEvent) -> None:
        """A step of an invitation for the local session of its caller or its callee."""
        if event.step is _S.INVITE:
            self._offered(session, event)
        elif event.step in _CALLEE_STATES:
            self._ended_for_callee(session, event)
        elif session.session_id == event.caller_session:
            invitation = self._outgoing.get(session.session_id, {}).get(event.call)
            if invitation is not None:
                self._caller_step(invitation, event)

    def _offered(self, session: Session, event: CallEvent) -> None:
        held = self._incoming.setdefault(session.session_id, {})
        key = (event.caller, event.call)
        if key in held:
            return  # offered again after all: the callee has it once
        held[key] = event.caller_session
        session.send(
            CallInvitePush(
                caller=event.caller, call=event.call, content=event.text, channel=event.channel
            )
        )

    def _ended_for_callee(self, session: Session, event: CallEvent) -> None:
        held = self._incoming.get(session.session_id)
        if held is None or held.pop((event.caller, event.call), None) is None:
            return  # answered, or held by an older session of this user
        state = _CALLEE_STATES[event.step]
        session.send(
            RemoteCallPush(caller=event.caller, call=event.call, state=state, reason=event.reason)
        )

    def _caller_step(self, invitation: _Invitation, event: CallEvent) -> None:
        step = event.step
        if not self._step(invitation, step):
            return  # it ended first (cancelled, expired): the callee hears that instead
        caller = invitation.session
        if step is _S.RECEIVE:
            caller.send(LocalCallPush(call=invitation.call, state=_RECEIVED))
            self._arm(invitation, invitation.sent_at + self._node.config.invitation_expiry)
        elif step is _S.ACCEPT:
            caller.send(LocalCallPush(call=invitation.call, state=_ACCEPTED, response=event.text))
            self._arm(invitation, self._now() + self._node.config.invitation_accept_timeout)
        elif step is _S.REFUSE:
            caller.send(LocalCallPush(call=invitation.call, state=_REFUSED, response=event.text))
        elif step is _S.CALLEE_GONE and invitation.phase is not CallPhase.ACCEPTING:
            caller.send(
                LocalCallPush(call=invitation.call, state=_FAILURE, reason=_LF.PEER_OFFLINE)
            )

    # --- the invitation's own life ---------------------------------------------------------

    def _offer(self, invitation: _Invitation) -> None:
        # Spec §1.5: an offline callee is offered the invitation again until the receipt
        # deadline; the first session of the callee that exists takes it.
        if invitation.phase is not CallPhase.OFFERED:
            return
        config = self._node.config
        deadline = invitation.sent_at + config.invitation_receipt_timeout
        if self._now() >= deadline:
            self._deadline(invitation)
            return
        caller = invitation.session
        event = CallEvent(
            step=_S.INVITE,
            caller=caller.uid,
            caller_session=caller.session_id,
            call=invitation.call,
            text=invitation.content,
            channel=invitation.channel,
        )

        def routed(delivered: bool) -> None:
            if delivered and self._step(invitation, _S.DELIVER):
                self._arm(invitation, deadline)
            elif invitation.phase is CallPhase.OFFERED:
                next_try = min(deadline, self._now() + config.invitation_retry_interval)
                self._arm(invitation, next_try, self._offer)

        self._node.broker.publish_user(caller.app_id, invitation.callee, event, routed)

    def _deadline(self, invitation: _Invitation) -> None:
        local, remote = _DEADLINE.get(invitation.phase, (None, None))
        if not self._step(invitation, _S.DEADLINE):
            return
        if local is not None:
            invitation.session.send(
                LocalCallPush(call=invitation.call, state=_FAILURE, reason=local)
            )
        if remote is not None:
            self._to_callee(invitation, _S.FAIL, remote)

    def session_ended(self, session: Session) -> None:
        """``session`` logged out, was kicked or its grace ran out: end its invitations."""
        for invitation in list(self._outgoing.get(session.session_id, {}).values()):
            if invitation.phase is not CallPhase.OFFERED:
                self._to_callee(invitation, _S.FAIL, _PEER_OFFLINE)
            self._step(invitation, _S.CALLER_GONE)
        for (caller, call), caller_session in self._incoming.pop(session.session_id, {}).items():
            self._to_caller(session, caller, caller_session, call, _S.CALLEE_GONE)

    def _step(self, invitation: _Invitation, step: CallStep) -> bool:
        """Apply ``step``; return whether the table allowed it. An ended one is forgotten."""
        phase = TRANSITIONS.get((invitation.phase, step))
        if phase is None:
            return False
        invitation.phase = phase
        if invitation.timer is not None:
            invitation.timer.cancel()
            invitation.timer = None
        if phase is CallPhase.ENDED:
            session_id = invitation.session.session_id
            mine = self._outgoing.get(session_id)
            if mine is not None:
                mine.pop(invitation.call, None)
                if not mine:
                    del self._outgoing[session_id]
        return True

    def _arm(
        self,
        invitation: _Invitation,
        at: float,
        then: Callable[[_Invitation], None] | None = None,
    ) -> None:
        if invitation.timer is not None:
            invitation.timer.cancel()
        action = then or self._deadline
        invitation.timer = self._node.timers.call_later(
            max(0.0, at - self._now()), lambda: action(invitation)
        )

    def _now(self) -> float:
        return self._node.timers.now()

    # --- routing ---------------------------------------------------------------------------

    def _to_callee(self, invitation: _Invitation, step: CallStep, reason: str = "") -> None:
        caller = invitation.session
        event = CallEvent(
            step=step,
            caller=caller.uid,
            caller_session=caller.session_id,
            call=invitation.call,
            reason=reason,
        )
        self._node.broker.publish_user(caller.app_id, invitation.callee, event)

    def _to_caller(
        self,
        callee: Session,
        caller: str,
        caller_session: str,
        call: str,
        step: CallStep,
        text: str = "",
    ) -> None:
        event = CallEvent(
            step=step, caller=caller, caller_session=caller_session, call=call, text=text
        )
        self._node.broker.publish_user(callee.app_id, caller, event)


_RECEIVED = LocalInvitationState.RECEIVED_BY_REMOTE
_ACCEPTED = LocalInvitationState.ACCEPTED_BY_REMOTE
_REFUSED = LocalInvitationState.REFUSED_BY_REMOTE


def _invite_error(request: CallInvite) -> str | None:
    if not request.call or len(request.call) > MAX_CALL_ID_CHARS:
        return f"a call id is 1 to {MAX_CALL_ID_CHARS} characters"
    if not is_valid_user_id(request.to):
        return "invalid callee id"
    return invitation_error(request.content, request.channel)
