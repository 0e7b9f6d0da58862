/**
 * The client's connection states and the moves between them, as a table (spec §3.2), as the
 * Python SDK keeps them (src/openrtm/client/states.py). The state moves only along it
 * (session-state.ts `move`): a trigger with no row in the current state changes nothing and
 * emits nothing, as in the Python SDK (a link lost again while a re-login restores the
 * session, say). Two moves differ from the Python SDK's and are kept as this SDK made them
 * before the table: a close with 1000 ends the session DISCONNECTED/INTERRUPTED (CLOSED; the
 * Python SDK goes ABORTED/LOGOUT), and a re-login refused for good goes ABORTED (REJECTED
 * while RECONNECTING; the Python SDK keeps retrying).
 */

import {
  ConnectionChangeReason as R,
  ConnectionState as S,
  type ConnectionChangeReason,
  type ConnectionState,
} from "./enums";

/** What can happen to a client's connection. */
export const enum Trigger {
  /** `login()` was called. */
  LOGIN,
  /** The server accepted a login or a re-login (protocol §3.1, §3.2). */
  ACCEPTED,
  /** The server refused the login; while RECONNECTING, for good (protocol §3.1). */
  REJECTED,
  /** No answer to the login in time (spec §4.17). */
  TIMED_OUT,
  /** `logout()` was called, or a reconnection was stopped by it. */
  LOGOUT,
  /** The link closed with a code that asks for a reconnection (protocol §5). */
  LINK_LOST,
  /** The server closed the session normally (1000, protocol §5). */
  CLOSED,
  /** The server ended the session for good; the reason is the close code's (protocol §5). */
  KICKED,
}

/** The new state and its reason; a null reason is the one the close code gives. */
type Move = readonly [ConnectionState, ConnectionChangeReason | null];
type Moves = Readonly<Partial<Record<Trigger, Move>>>;

/** How a logged-in session (CONNECTED or RECONNECTING) ends. */
const SESSION_ENDS: Moves = {
  [Trigger.KICKED]: [S.ABORTED, null],
  [Trigger.CLOSED]: [S.DISCONNECTED, R.INTERRUPTED],
  [Trigger.LOGOUT]: [S.DISCONNECTED, R.LOGOUT],
};

/** (state, trigger) → (new state, reason), spec §3.2. */
export const TRANSITIONS: Readonly<Record<ConnectionState, Moves>> = {
  [S.DISCONNECTED]: { [Trigger.LOGIN]: [S.CONNECTING, R.LOGIN] },
  [S.CONNECTING]: {
    [Trigger.ACCEPTED]: [S.CONNECTED, R.LOGIN_SUCCESS],
    [Trigger.REJECTED]: [S.DISCONNECTED, R.LOGIN_FAILURE],
    [Trigger.TIMED_OUT]: [S.DISCONNECTED, R.LOGIN_TIMEOUT],
    [Trigger.LOGOUT]: [S.DISCONNECTED, R.LOGOUT],
  },
  [S.CONNECTED]: { [Trigger.LINK_LOST]: [S.RECONNECTING, R.INTERRUPTED], ...SESSION_ENDS },
  [S.RECONNECTING]: {
    [Trigger.ACCEPTED]: [S.CONNECTED, R.LOGIN_SUCCESS],
    // A re-login refused for good (bad argument, App ID or token); an expired token is not
    // final and keeps RECONNECTING (spec §3.2), as session.ts decides.
    [Trigger.REJECTED]: [S.ABORTED, R.LOGIN_FAILURE],
    ...SESSION_ENDS,
  },
  [S.ABORTED]: { [Trigger.LOGOUT]: [S.DISCONNECTED, R.LOGOUT] },
};

/** The new state and reason, or null when `trigger` changes nothing in `state`. */
export function nextState(
  state: ConnectionState,
  trigger: Trigger,
  kickReason: ConnectionChangeReason = R.INTERRUPTED,
): [ConnectionState, ConnectionChangeReason] | null {
  const move = TRANSITIONS[state][trigger];
  return move ? [move[0], move[1] ?? kickReason] : null;
}

/**
 * What the close of a logged-in connection means (protocol §5): the codes that ask for a
 * reconnection (and no close frame at all, 1005/1006) lose the link, to be resumed; 1000
 * closes the session; 4001–4003 kick with their reason; any other code kicks, as the Web SDK
 * treats unknown kicks.
 */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 4004, 4005]);
const KICK_REASONS: Record<number, ConnectionChangeReason> = {
  4001: R.REMOTE_LOGIN,
  4002: R.TOKEN_EXPIRED,
  4003: R.BANNED_BY_SERVER,
};

/** The trigger of a close with `code`, and the kick's reason (spec §3.2). */
export function closeTrigger(code: number): [Trigger, ConnectionChangeReason?] {
  if (RECONNECT_CODES.has(code)) return [Trigger.LINK_LOST];
  return code === 1000 ? [Trigger.CLOSED] : [Trigger.KICKED, KICK_REASONS[code]];
}
