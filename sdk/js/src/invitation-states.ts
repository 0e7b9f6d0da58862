/**
 * The two invitation lifecycles of spec §1.5 as tables, as the Python SDK keeps them
 * (src/openrtm/client/invitation_states.py). A lifecycle moves only along its transitions: a
 * change the table does not allow (a push about an invitation that already ended, say)
 * changes nothing (protocol §9 item 18). Each state reached has its event, and the API calls
 * are refused by state with the codes of spec §4.14.
 */

import {
  LocalInvitationState as L,
  RemoteInvitationState as R,
  type LocalInvitationState,
  type RemoteInvitationState,
} from "./enums";

/**
 * Spec §4.14 `InvitationApiCallError` (`INVITATION_API_CALL_ERR_*`). 102 and 103 are
 * openrtm's own, on the wire only (protocol §3.21): the SDK turns them into
 * `LocalInvitationFailure` and never raises them to the app.
 */
export const InvitationApiCallError = {
  INVALID_ARGUMENT: 1,
  NOT_STARTED: 2,
  ALREADY_END: 3,
  ALREADY_ACCEPT: 4,
  ALREADY_SENT: 5,
  NOT_LOGGED_IN: 102,
  EXCEED_LIMIT: 103,
} as const;
type CallError = (typeof InvitationApiCallError)[keyof typeof InvitationApiCallError];
const E = InvitationApiCallError;

/** The states each state may move to. */
export type Transitions<S extends string> = Readonly<Partial<Record<S, readonly S[]>>>;
/** The event each state emits on the invitation when reached (absent: none). */
export type Events<S extends string> = Readonly<Partial<Record<S, string>>>;
/** The code each API call is refused with, by state (absent: allowed). */
export type CallErrors<S extends string> = Readonly<
  Record<string, Readonly<Partial<Record<S, CallError>>>>
>;

const LOCAL_ENDS = [L.ACCEPTED_BY_REMOTE, L.REFUSED_BY_REMOTE, L.CANCELED, L.FAILURE] as const;
export const LOCAL_ENDED: ReadonlySet<LocalInvitationState> = new Set(LOCAL_ENDS);

/** The caller's invitation. */
export const LOCAL_TRANSITIONS: Transitions<LocalInvitationState> = {
  // send(); or send() while not logged in, which fails with NOT_LOGGEDIN.
  [L.IDLE]: [L.SENT_TO_REMOTE, L.FAILURE],
  [L.SENT_TO_REMOTE]: [L.RECEIVED_BY_REMOTE, ...LOCAL_ENDS],
  // A callee may answer without acknowledging first (protocol §3.21): hence both rows.
  [L.RECEIVED_BY_REMOTE]: LOCAL_ENDS,
};

export const LOCAL_EVENTS: Events<LocalInvitationState> = {
  [L.RECEIVED_BY_REMOTE]: "LocalInvitationReceivedByPeer",
  [L.ACCEPTED_BY_REMOTE]: "LocalInvitationAccepted", // (response)
  [L.REFUSED_BY_REMOTE]: "LocalInvitationRefused", // (response)
  [L.CANCELED]: "LocalInvitationCanceled",
  [L.FAILURE]: "LocalInvitationFailure", // (reason)
};

const endedBy = <S extends string>(states: readonly S[], code: CallError) =>
  Object.fromEntries(states.map((s) => [s, code])) as Partial<Record<S, CallError>>;

export const LOCAL_CALL_ERRORS: CallErrors<LocalInvitationState> = {
  send: {
    [L.SENT_TO_REMOTE]: E.ALREADY_SENT,
    [L.RECEIVED_BY_REMOTE]: E.ALREADY_SENT,
    ...endedBy(LOCAL_ENDS, E.ALREADY_END),
  },
  cancel: { [L.IDLE]: E.NOT_STARTED, ...endedBy(LOCAL_ENDS, E.ALREADY_END) },
};

const REMOTE_ENDS = [R.REFUSED, R.ACCEPTED, R.CANCELED, R.FAILURE] as const;
export const REMOTE_ENDED: ReadonlySet<RemoteInvitationState> = new Set(REMOTE_ENDS);

/** The callee's invitation. */
export const REMOTE_TRANSITIONS: Transitions<RemoteInvitationState> = {
  // accept(); refuse() once the server has it; the caller cancelled; a failure.
  [R.INVITATION_RECEIVED]: [R.ACCEPT_SENT_TO_LOCAL, R.REFUSED, R.CANCELED, R.FAILURE],
  // The caller's SDK confirmed the acceptance (ACCEPTED), or did not in time (FAILURE).
  [R.ACCEPT_SENT_TO_LOCAL]: [R.ACCEPTED, R.CANCELED, R.FAILURE],
};

export const REMOTE_EVENTS: Events<RemoteInvitationState> = {
  [R.ACCEPTED]: "RemoteInvitationAccepted",
  [R.REFUSED]: "RemoteInvitationRefused",
  [R.CANCELED]: "RemoteInvitationCanceled", // (content)
  [R.FAILURE]: "RemoteInvitationFailure", // (reason)
};

const answering = {
  [R.ACCEPT_SENT_TO_LOCAL]: E.ALREADY_ACCEPT,
  ...endedBy(REMOTE_ENDS, E.ALREADY_END),
};
export const REMOTE_CALL_ERRORS: CallErrors<RemoteInvitationState> = {
  accept: answering,
  refuse: answering,
};
