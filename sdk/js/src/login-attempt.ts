/**
 * Logging in (protocol §3.1): opening a connection and sending `login` on it, with `resume`
 * after a lost link (protocol §3.2), tried again while the server cannot be reached. The
 * session (session.ts) decides what a login means for the connection state.
 */

import { Connection, type ConnectionHandlers } from "./connection";
import { LoginError, rtmError, type RtmError } from "./errors";
import { mediaSession, type MediaSession } from "./media";
import { resolveServerUrl } from "./server-url";

/** Sent in the login's informational `sdk` field (protocol §3.1). */
const SDK = "js/0.1.0";

export interface Credentials {
  uid: string;
  token: string | null;
}

/** One login attempt's context, from the session that makes it. */
export interface LoginAttempt {
  readonly appId: string;
  /** The configured server URL, read at each connection (`updateConfig` may change it). */
  server(): string | undefined;
  readonly handlers: ConnectionHandlers;
  nextRequestId(): number;
  /** False once the attempt is abandoned (login timed out, logout, a newer attempt). */
  current(): boolean;
  /** The connection the login is sent on, so that `logout()` can drop it. */
  opened(conn: Connection): void;
}

/** A logged-in connection and its session (protocol §3.1 login reply; §10.1 media). */
export interface LoggedIn {
  conn: Connection;
  sessionId: string;
  resumed: boolean;
  media: MediaSession | null;
}

/** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
export async function connectAndLogin(
  attempt: LoginAttempt,
  credentials: Credentials,
  deadline: number,
): Promise<LoggedIn> {
  let delay = 250;
  while (attempt.current()) {
    try {
      const result = await loginOnce(attempt, credentials, null, deadline);
      if (result !== null) return result;
      break; // abandoned meanwhile
    } catch (error) {
      // A refusal from the server is final (protocol §3.1); a connection that could not open
      // or was lost (server down or restarting) is tried again until the login timeout.
      if ((error as RtmError).serverCode !== undefined) throw error;
    }
    const pause = Math.min(delay, Math.max(0, deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, pause));
    delay = Math.min(delay * 2, 1000);
  }
  throw loginError(LoginError.ABORTED_BY_LOGOUT, "the login was abandoned");
}

/**
 * One connection and one `login` on it (protocol §3.1), with `resume` when a session was
 * lost. Null when the attempt was abandoned; rejects when the connection fails or the server
 * refuses (`serverCode` set).
 */
export async function loginOnce(
  attempt: LoginAttempt,
  credentials: Credentials,
  resume: string | null,
  deadline: number,
): Promise<LoggedIn | null> {
  const url = await resolveServerUrl(attempt.server());
  let conn: Connection | null = null;
  try {
    conn = await Connection.open(url, () => attempt.nextRequestId(), attempt.handlers);
    if (!attempt.current()) {
      conn.close(); // the login timed out or was abandoned meanwhile
      return null;
    }
    attempt.opened(conn);
    const { uid, token } = credentials;
    const fields: Record<string, unknown> = { v: 1, app_id: attempt.appId, uid, sdk: SDK };
    if (token) fields.token = token;
    if (resume) fields.resume = resume;
    const wait = Math.max(1, deadline - Date.now());
    const reply = (await conn.request("login", fields, wait, LoginError.TIMEOUT)) as {
      session_id?: unknown;
      resumed?: unknown;
    } | null;
    if (!attempt.current()) {
      conn.close();
      return null;
    }
    const sessionId = typeof reply?.session_id === "string" ? reply.session_id : "";
    const media = mediaSession(reply, url);
    return { conn, sessionId, resumed: reply?.resumed === true, media };
  } catch (error) {
    conn?.close();
    throw error;
  }
}

/** A login error with the name Agora gives its code (spec §4.1). */
export function loginError(code: number, message: string): RtmError {
  const names: Record<number, string> = {
    [LoginError.UNKNOWN]: "RtmUnknownError",
    [LoginError.INVALID_ARGUMENT]: "RtmInvalidArgumentError",
    [LoginError.TIMEOUT]: "RtmTimeoutError",
    [LoginError.TOO_OFTEN]: "RtmInvokeTooOftenError",
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}
