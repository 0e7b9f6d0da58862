"""Call invitations in the SDK: ``LocalInvitation`` and ``RemoteInvitation`` (spec §1.5).

The API calls are synchronous, as in the Web SDK: they check the state (spec §4.14 codes) and
the arguments, move the invitation on, and leave the rest to a background request; every
outcome arrives as an event on the invitation object. The server runs the timers (30 s to
reach the callee, 60 s to answer, 5 s to confirm an acceptance) and pushes every change.

When the login session ends (logout, a kick, or a reconnection that could not resume it),
open invitations end too: a caller's with ``LocalInvitationFailure("NOT_LOGGEDIN")``, a
callee's with ``RemoteInvitationFailure("UNKNOWN")``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, overload

from openrtm.client.events import EventEmitter
from openrtm.client.invitation_states import (
    LOCAL_CALL_ERRORS,
    LOCAL_ENDED,
    LOCAL_EVENTS,
    LOCAL_TRANSITIONS,
    REMOTE_CALL_ERRORS,
    REMOTE_ENDED,
    REMOTE_EVENTS,
    REMOTE_TRANSITIONS,
)
from openrtm.errors import RtmError, error_for
from openrtm.protocol.codes import (
    ConnectionState,
    InvitationApiCallError,
    LocalInvitationFailureReason,
    LocalInvitationState,
    RemoteInvitationFailureReason,
    RemoteInvitationState,
)
from openrtm.protocol.invitations import (
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
    from openrtm.client.client import RtmClient
    from openrtm.client.connection import Connection
    from openrtm.protocol.messages import Request

__all__ = ["InvitationCalls", "InvitationMethods", "LocalInvitation", "RemoteInvitation"]

log = logging.getLogger("openrtm.client")

_Local, _Remote = LocalInvitationState, RemoteInvitationState
_INVALID = InvitationApiCallError.INVALID_ARGUMENT
# How often a request is sent again after its answer was lost with the link (the server
# takes a repeated invitation once).
_ATTEMPTS = 3


class _Unanswered(IntEnum):
    """The SDK's own code for a request the server did not answer (never raised to apps)."""

    TIMEOUT = 0


class _ReadOnly:
    """A field apps read and may not write: it is kept as ``_<name>`` on the object.

    Spec §4.14: writing a read-only field is INVALID_ARGUMENT.
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self._name, self._attr = name, "_" + name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _ReadOnly: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> str: ...
    def __get__(self, obj: object, owner: type | None = None) -> str | _ReadOnly:
        if obj is None:
            return self  # looked up on the class (help(), documentation tools)
        value: str = getattr(obj, self._attr)
        return value

    def __set__(self, obj: object, value: object) -> NoReturn:
        raise error_for(_INVALID, f"{self._name} is read-only")


_S = TypeVar("_S", LocalInvitationState, RemoteInvitationState)


class _Lifecycle(EventEmitter, Generic[_S]):
    """What both invitations share: a state moved along a table, an event per state reached,
    and API calls refused by state (spec §1.5, §4.14; the tables are in invitation_states)."""

    _TRANSITIONS: ClassVar[frozenset[tuple[Any, Any]]]
    _EVENTS: ClassVar[dict[Any, str | None]]
    _CALL_ERRORS: ClassVar[dict[tuple[str, Any], InvitationApiCallError]]
    _state: _S

    @property
    def state(self) -> str:
        """The state's value (``LocalInvitationState`` or ``RemoteInvitationState``)."""
        return self._state.value

    @state.setter
    def state(self, _: object) -> NoReturn:
        raise error_for(_INVALID, "state is read-only")

    def _check(self, call: str) -> None:
        code = self._CALL_ERRORS.get((call, self._state))
        if code is not None:
            raise error_for(code, f"cannot {call} an invitation in state {self._state.value}")

    def _reach(self, state: _S, *args: Any) -> bool:
        if (self._state, state) not in self._TRANSITIONS:
            return False
        self._state = state
        event = self._EVENTS[state]
        if event is not None:
            self.emit(event, *args)
        return True


class LocalInvitation(_Lifecycle[LocalInvitationState]):
    """An invitation this client sends (spec §1.5); create it with
    :meth:`RtmClient.create_local_invitation`.

    Events: ``LocalInvitationReceivedByPeer()``, ``LocalInvitationAccepted(response)``,
    ``LocalInvitationRefused(response)``, ``LocalInvitationCanceled()``,
    ``LocalInvitationFailure(reason)``.
    """

    _TRANSITIONS = LOCAL_TRANSITIONS
    _EVENTS: ClassVar[dict[Any, str | None]] = LOCAL_EVENTS
    _CALL_ERRORS: ClassVar[dict[tuple[str, Any], InvitationApiCallError]] = LOCAL_CALL_ERRORS
    callee_id = _ReadOnly("The invited user.")
    response = _ReadOnly("The callee's response, once it accepted or refused.")

    def __init__(self, calls: InvitationCalls, callee_id: str) -> None:
        super().__init__()
        self._calls = calls
        self._callee_id = callee_id
        self._call = secrets.token_hex(8)
        self._state = _Local.IDLE
        self._response = ""
        self.content = ""
        """What to tell the callee, at most 8 KB of UTF-8 (checked by :meth:`send`)."""
        self.channel_id = ""
        """A channel id for legacy Signaling interop; nobody joins it (checked by send)."""

    def __repr__(self) -> str:
        return f"<LocalInvitation to {self._callee_id!r} {self._state.value}>"

    def send(self) -> None:
        """Send the invitation to the callee.

        Raises:
            RtmInvalidStatusError: 5 already sent; 3 already ended.
            RtmInvalidArgumentError: 1, content over 8 KB, or an invalid channel id.
        """
        self._check("send")
        if not isinstance(self.content, str) or not isinstance(self.channel_id, str):
            raise error_for(_INVALID, "content and channel_id are strings")
        problem = invitation_error(self.content, self.channel_id)
        if problem is not None:
            raise error_for(_INVALID, f"invalid invitation: {problem}")
        self._calls.send(self)

    def cancel(self) -> None:
        """Cancel the sent invitation; ``LocalInvitationCanceled`` follows.

        Raises:
            RtmInvalidStatusError: 2 not sent yet; 3 already ended.
        """
        self._check("cancel")
        self._calls.cancel(self)

    def _reach(self, state: LocalInvitationState, *args: Any) -> bool:
        if state in (_Local.ACCEPTED_BY_REMOTE, _Local.REFUSED_BY_REMOTE) and (
            (self._state, state) in self._TRANSITIONS
        ):
            self._response = args[0]  # the callee's response, set before the event says so
        return super()._reach(state, *args)


class RemoteInvitation(_Lifecycle[RemoteInvitationState]):
    """An invitation this client received (``RemoteInvitationReceived``, spec §1.5).

    Events: ``RemoteInvitationAccepted()``, ``RemoteInvitationRefused()``,
    ``RemoteInvitationCanceled(content)``, ``RemoteInvitationFailure(reason)``.
    """

    _TRANSITIONS = REMOTE_TRANSITIONS
    _EVENTS: ClassVar[dict[Any, str | None]] = REMOTE_EVENTS
    _CALL_ERRORS: ClassVar[dict[tuple[str, Any], InvitationApiCallError]] = REMOTE_CALL_ERRORS
    caller_id = _ReadOnly("The user who sent the invitation.")
    content = _ReadOnly("What the caller said.")
    channel_id = _ReadOnly("The caller's channel id, if it set one (legacy Signaling interop).")

    def __init__(self, calls: InvitationCalls, push: CallInvitePush) -> None:
        super().__init__()
        self._calls = calls
        self._caller_id = push.caller
        self._call = push.call
        self._content = push.content
        self._channel_id = push.channel
        self._state = _Remote.INVITATION_RECEIVED
        self.response = ""
        """What to tell the caller with accept() or refuse(), at most 8 KB of UTF-8."""

    def __repr__(self) -> str:
        return f"<RemoteInvitation from {self._caller_id!r} {self._state.value}>"

    def accept(self) -> None:
        """Accept; ``RemoteInvitationAccepted`` follows once the caller confirms it.

        Raises:
            RtmInvalidStatusError: 4 already accepting; 3 already ended.
            RtmInvalidArgumentError: 1, response over 8 KB.
        """
        self._check("accept")
        self._calls.answer(self, accept=True)

    def refuse(self) -> None:
        """Refuse; ``RemoteInvitationRefused`` follows once the server has it.

        Raises:
            RtmInvalidStatusError: 4 already accepting; 3 already ended.
            RtmInvalidArgumentError: 1, response over 8 KB.
        """
        self._check("refuse")
        self._calls.answer(self, accept=False)

    def _check(self, call: str) -> None:
        super()._check(call)
        if not isinstance(self.response, str):
            raise error_for(_INVALID, "response is a string")
        problem = invitation_error(self.response)
        if problem is not None:
            raise error_for(_INVALID, f"invalid response: {problem}")


class InvitationCalls:
    """The open invitations of one client, sent and received."""

    def __init__(self, client: RtmClient) -> None:
        self._client = client
        self._local: dict[str, LocalInvitation] = {}
        self._remote: dict[tuple[str, str], RemoteInvitation] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def create(self, callee_id: str) -> LocalInvitation:
        """``create_local_invitation``: code 1 for an invalid callee id."""
        if not is_valid_user_id(callee_id):
            raise error_for(_INVALID, "invalid callee id")
        return LocalInvitation(self, callee_id)

    # --- API calls ---------------------------------------------------------------------------

    def send(self, invitation: LocalInvitation) -> None:
        state = self._client.connection_state
        if state not in (ConnectionState.CONNECTED, ConnectionState.RECONNECTING):
            # Reported as an event, as the Web SDK does, once the caller has returned.
            asyncio.get_running_loop().call_soon(self._not_logged_in, invitation)
            return
        invitation._reach(_Local.SENT_TO_REMOTE)
        self._local[invitation._call] = invitation
        self._spawn(self._invite(invitation))

    def _not_logged_in(self, invitation: LocalInvitation) -> None:
        invitation._reach(_Local.FAILURE, LocalInvitationFailureReason.NOT_LOGGEDIN.value)

    async def _invite(self, invitation: LocalInvitation) -> None:
        try:
            await self._request(
                CallInvite,
                call=invitation._call,
                to=invitation.callee_id,
                content=invitation.content,
                channel=invitation.channel_id,
            )
        except RtmError as exc:
            reason = (
                LocalInvitationFailureReason.NOT_LOGGEDIN
                if exc.code == InvitationApiCallError.NOT_LOGGED_IN
                else LocalInvitationFailureReason.UNKNOWN
            )
            log.info("invitation not sent: %s", exc)
            self._local_reached(invitation, _Local.FAILURE, reason.value)

    def cancel(self, invitation: LocalInvitation) -> None:
        self._spawn(self._cancel(invitation))

    async def _cancel(self, invitation: LocalInvitation) -> None:
        try:
            await self._request(CallCancel, call=invitation._call)
        except RtmError as exc:
            # Ended on the server first (answered, expired): its push says how.
            log.info("invitation not cancelled: %s", exc)
            return
        self._local_reached(invitation, _Local.CANCELED)

    def answer(self, invitation: RemoteInvitation, *, accept: bool) -> None:
        if accept:
            invitation._reach(_Remote.ACCEPT_SENT_TO_LOCAL)
        self._spawn(self._answer(invitation, accept, invitation.response))

    async def _answer(self, invitation: RemoteInvitation, accept: bool, response: str) -> None:
        try:
            await self._request(
                CallAnswer,
                caller=invitation.caller_id,
                call=invitation._call,
                accept=accept,
                response=response,
            )
        except RtmError as exc:
            # A push already ended it in the usual case (cancelled, expired); otherwise the
            # answer could not be delivered.
            log.info("invitation answer not delivered: %s", exc)
            reason = (
                RemoteInvitationFailureReason.ACCEPT_FAILURE
                if accept
                else RemoteInvitationFailureReason.UNKNOWN
            )
            self._remote_reached(invitation, _Remote.FAILURE, reason.value)
            return
        if not accept:
            self._remote_reached(invitation, _Remote.REFUSED)

    async def _request(self, kind: type[Request], **fields: Any) -> None:
        client = self._client
        session = client.session_id
        for attempt in range(_ATTEMPTS):
            await client.until_connected(_Unanswered.TIMEOUT, InvitationApiCallError.NOT_LOGGED_IN)
            if client.session_id != session:
                # A reconnection that could not resume: the invitation ended with the session.
                raise error_for(InvitationApiCallError.NOT_LOGGED_IN, "the login session ended")
            try:
                await client.send_request(
                    kind, InvitationApiCallError, timeout_code=_Unanswered.TIMEOUT, **fields
                )
                return
            except RtmError as exc:
                # Lost with the link: the same session (resumed) may ask again.
                if exc.code != _Unanswered.TIMEOUT or attempt == _ATTEMPTS - 1:
                    raise

    # --- pushes ------------------------------------------------------------------------------

    def on_push(
        self, frame: CallInvitePush | LocalCallPush | RemoteCallPush, conn: Connection
    ) -> None:
        """Apply a server push; acknowledge what must be (on the connection it came on)."""
        if isinstance(frame, CallInvitePush):
            key = (frame.caller, frame.call)
            if key not in self._remote:  # offered again: acknowledged, shown once
                invitation = RemoteInvitation(self, frame)
                self._remote[key] = invitation
                self._client.emit("RemoteInvitationReceived", invitation)
            conn.send(CallReceived(caller=frame.caller, call=frame.call))
        elif isinstance(frame, LocalCallPush):
            local = self._local.get(frame.call)
            if local is None:
                return
            args = _local_args(frame)
            if self._local_reached(local, frame.state, *args) and (
                frame.state is _Local.ACCEPTED_BY_REMOTE
            ):
                conn.send(CallAccepted(call=frame.call))  # spec §1.5: the caller confirms
        else:
            remote = self._remote.get((frame.caller, frame.call))
            if remote is not None:
                args = (remote.content,) if frame.state is _Remote.CANCELED else ()
                if frame.state is _Remote.FAILURE:
                    args = (frame.reason,)
                self._remote_reached(remote, frame.state, *args)

    def session_over(self) -> None:
        """The login session ended: every open invitation ends with it."""
        for local in list(self._local.values()):
            self._local_reached(
                local, _Local.FAILURE, LocalInvitationFailureReason.NOT_LOGGEDIN.value
            )
        for remote in list(self._remote.values()):
            self._remote_reached(
                remote, _Remote.FAILURE, RemoteInvitationFailureReason.UNKNOWN.value
            )

    def _local_reached(
        self, invitation: LocalInvitation, state: LocalInvitationState, *args: Any
    ) -> bool:
        reached = invitation._reach(state, *args)
        if state in LOCAL_ENDED and self._local.get(invitation._call) is invitation:
            del self._local[invitation._call]
        return reached

    def _remote_reached(
        self, invitation: RemoteInvitation, state: RemoteInvitationState, *args: Any
    ) -> bool:
        reached = invitation._reach(state, *args)
        key = (invitation.caller_id, invitation._call)
        if state in REMOTE_ENDED and self._remote.get(key) is invitation:
            del self._remote[key]
        return reached

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _local_args(frame: LocalCallPush) -> tuple[str, ...]:
    if frame.state in (_Local.ACCEPTED_BY_REMOTE, _Local.REFUSED_BY_REMOTE):
        return (frame.response,)
    if frame.state is _Local.FAILURE:
        return (frame.reason,)
    return ()


class InvitationMethods:
    """``RtmClient``'s invitation method, delegated to :class:`InvitationCalls`."""

    _invitations: InvitationCalls

    def create_local_invitation(self, callee_id: str) -> LocalInvitation:
        """Create an invitation to ``callee_id``; set ``content`` and call ``send()``.

        Raises:
            RtmInvalidArgumentError: 1, invalid callee id.
        """
        return self._invitations.create(callee_id)
