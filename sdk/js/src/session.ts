/**
 * A client's login session (spec §1.2, §3.2; protocol §3.1, §3.2, §5): login (connections
 * tried until one logs in), logout and token renewal, and, after a lost link, logging in again
 * with `resume`, with backoff, until the session is resumed or restored, or the login is
 * refused for good. Each moves the connection state through session-state.ts, along the
 * table of connection-states.ts. `RtmClient` (client.ts) derives from this class and says
 * what a session's end and restoration mean for channels, presence, attributes, invitations.
 */

import type { RtmConfig } from "./client";
import { Connection, type ServerFrame } from "./connection";
import { closeTrigger, Trigger } from "./connection-states";
import { ConnectionState, type ConnectionChangeReason } from "./enums";
import {
  loginError,
  LoginError,
  LogoutError,
  RenewTokenError,
  rtmError,
  type RtmError,
} from "./errors";
import { isValidUserId, RENEW_TOKEN_RATE, RateWindows } from "./limits";
import { mediaSession } from "./media";
import { resolveServerUrl } from "./server-url";
import {
  REQUEST_TIMEOUT_MS,
  SessionState,
  type Credentials,
  type LoggedIn,
} from "./session-state";

/** Sent in the login's informational `sdk` field (protocol §3.1). */
const SDK = "js/0.1.0";
/** Spec §4.17: the Web SDK gives up a login after 12 s. */
const LOGIN_TIMEOUT_MS = 12_000;
/** Spec §1.2, §5.4: login at most twice a second. */
const LOGIN_SPACING_MS = 500;
/** Protocol §5: reconnection backoff, doubling from 250 ms to 10 s, with jitter. */
const RECONNECT_FIRST_DELAY_MS = 250;
const RECONNECT_MAX_DELAY_MS = 10_000;
/** Protocol §3.1: login refusals that no retry can cure (bad argument, App ID, token). */
const FINAL_LOGIN_CODES = new Set([3, 4, 5, 6]);

export abstract class Session extends SessionState {
  /** Rate limits of the session's calls (limits.ts), shared with the rest of the client. */
  protected readonly rates = new RateWindows();
  /** The connection of the login in progress, so that `logout()` can drop it. */
  private loggingIn: Connection | null = null;
  /** Bumped when a login attempt ends, so that a stale attempt knows to stop. */
  private generation = 0;
  private abortLogin: ((error: RtmError) => void) | null = null;
  private lastLoginAt = -Infinity;
  private requestId = 0;
  /** Every connection's pushes and close (connection.ts). */
  private readonly handlers = {
    onPush: (frame: ServerFrame, conn: Connection) => this.onPush(frame, conn),
    onClose: (conn: Connection, code: number) => this.onClose(conn, code),
  };
  /** Spec §3.2: `TokenExpired` is told once per expired token while RECONNECTING. */
  private tokenExpiredTold = false;
  /** Pending `renewToken()` calls, which a `logout()` rejects with 201 (spec §4.3). */
  private readonly renewals = new Set<() => void>();

  constructor(
    readonly appId: string,
    protected readonly config: RtmConfig,
  ) {
    super();
  }

  /** Pushes (protocol §2.2), from the moment a connection opens (protocol §2.3). */
  protected abstract onPush(frame: ServerFrame, conn: Connection): void;
  /** The session ended (logout, kick): leave every channel, forget presence and attributes. */
  protected abstract leaveSession(): void;
  /** Invitations end with the session (protocol §3.21). */
  protected abstract endInvitations(): void;
  /** A new session after a lost one: restore what the old one had, before CONNECTED. */
  protected abstract restoreSession(conn: Connection): Promise<void>;

  /** Log in as `uid` (spec §1.2 `login`, §3.2 transitions, §4.1 codes). */
  async login(options: { uid: string; token?: string }): Promise<void> {
    const { uid, token } = options ?? ({} as { uid?: unknown; token?: unknown });
    if (!isValidUserId(uid)) throw loginError(LoginError.INVALID_ARGUMENT, "invalid uid");
    if (token !== undefined && token !== null && typeof token !== "string") {
      throw loginError(LoginError.INVALID_ARGUMENT, "token must be a string");
    }
    if (this.state !== ConnectionState.DISCONNECTED) {
      throw loginError(LoginError.ALREADY_LOGIN, `cannot log in while ${this.state}`);
    }
    const now = Date.now();
    if (now - this.lastLoginAt < LOGIN_SPACING_MS) {
      throw loginError(LoginError.TOO_OFTEN, "login called less than 500 ms ago");
    }
    this.lastLoginAt = now;
    const generation = ++this.generation;
    this.move(Trigger.LOGIN);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = new Promise<never>((_, reject) => {
      this.abortLogin = reject;
      const timedOut = () => reject(loginError(LoginError.TIMEOUT, "login timed out"));
      timer = setTimeout(timedOut, LOGIN_TIMEOUT_MS);
    });
    try {
      const credentials = { uid, token: token || null };
      const loggedIn = await Promise.race([
        this.connectAndLogin(credentials, generation, now + LOGIN_TIMEOUT_MS),
        stopped,
      ]);
      if (generation !== this.generation) {
        // logout() came after the login succeeded but before this resumed: it wins (spec §3.2).
        loggedIn.conn.close();
        throw loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login");
      }
      this.adopt(loggedIn);
      this.credentials = credentials;
      this.tokenExpiredTold = false;
      this.move(Trigger.ACCEPTED);
    } catch (error) {
      if (generation === this.generation) {
        // Not ended by logout(), which has moved the state on itself.
        this.generation++;
        this.loggingIn?.close();
        this.loggingIn = null;
        const timedOut = (error as RtmError).code === LoginError.TIMEOUT;
        this.move(timedOut ? Trigger.TIMED_OUT : Trigger.REJECTED);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.abortLogin = null;
    }
  }

  /** Log out (spec §1.2 `logout`, protocol §3.2); code 102 when not logged in. */
  logout(): Promise<void> {
    if (this.loggingOut) return this.loggingOut;
    for (const abort of [...this.renewals]) abort();
    const state = this.state;
    if (state === ConnectionState.DISCONNECTED) {
      const code = LogoutError.USER_NOT_LOGGED_IN;
      return Promise.reject(rtmError(code, "RtmInvalidStatusError", "not logged in"));
    }
    if (state === ConnectionState.CONNECTING || state === ConnectionState.RECONNECTING) {
      this.generation++; // stops the login or reconnection in progress
      this.loggingIn?.close();
      this.loggingIn = null;
      if (state === ConnectionState.CONNECTING) {
        // Spec §3.2: the pending login() rejects with 201.
        this.abortLogin?.(loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login"));
        this.move(Trigger.LOGOUT);
        return Promise.resolve();
      }
      if (this.conn === null) {
        // Protocol §5: logout stops the reconnection; there is no link to say goodbye on.
        this.endLocally(Trigger.LOGOUT);
        return Promise.resolve();
      }
      // Logged in again, re-joining channels: log out on that connection (endSession).
    }
    this.loggingOut = this.endSession().finally(() => {
      this.loggingOut = null;
    });
    return this.loggingOut;
  }

  /**
   * Replace the login token for the same uid (spec §1.2 `renewToken`, §6.10; protocol §3.19).
   * While RECONNECTING the token is kept for the next login attempt, as the Python SDK does.
   * Codes (spec §4.3): 2 empty or not a string, 102 not logged in, 4 over 2 calls a second,
   * 6 invalid, 5 expired (from the server), 1 no answer, 201 overtaken by `logout()`.
   */
  async renewToken(token: string): Promise<void> {
    if (typeof token !== "string" || token === "") {
      const code = RenewTokenError.INVALID_ARGUMENT;
      throw rtmError(code, "RtmInvalidArgumentError", "a token is a non-empty string");
    }
    const credentials = this.credentials;
    const conn = this.connection();
    if (credentials === null || (conn === null && !this.reconnecting())) {
      const code = RenewTokenError.USER_NOT_LOGGED_IN;
      throw rtmError(code, "RtmInvalidStatusError", "not logged in");
    }
    if (this.rates.within(["renew_token", RENEW_TOKEN_RATE]) >= 0) {
      const code = RenewTokenError.TOO_OFTEN;
      throw rtmError(code, "RtmInvokeTooOftenError", "over 2 calls a second");
    }
    if (conn !== null) {
      await new Promise<void>((resolve, reject) => {
        const abort = () => {
          const code = RenewTokenError.ABORTED_BY_LOGOUT;
          reject(rtmError(code, "RtmInvalidStatusError", "logout called during renewToken"));
        };
        this.renewals.add(abort);
        conn
          .request("renew_token", { token }, REQUEST_TIMEOUT_MS, RenewTokenError.FAILURE)
          .then(() => resolve(), reject)
          .finally(() => this.renewals.delete(abort));
      });
    }
    credentials.token = token;
    this.tokenExpiredTold = false;
  }

  /** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
  private async connectAndLogin(
    credentials: Credentials,
    generation: number,
    deadline: number,
  ): Promise<LoggedIn> {
    let delay = 250;
    while (generation === this.generation) {
      try {
        const result = await this.loginOnce(credentials, null, generation, deadline);
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
  private async loginOnce(
    credentials: Credentials,
    resume: string | null,
    generation: number,
    deadline: number,
  ): Promise<LoggedIn | null> {
    const url = await resolveServerUrl(this.config.server);
    let conn: Connection | null = null;
    try {
      conn = await Connection.open(url, () => ++this.requestId, this.handlers);
      if (generation !== this.generation) {
        conn.close(); // the login timed out or was abandoned meanwhile
        return null;
      }
      this.loggingIn = conn;
      const { uid, token } = credentials;
      const fields: Record<string, unknown> = { v: 1, app_id: this.appId, uid, sdk: SDK };
      if (token) fields.token = token;
      if (resume) fields.resume = resume;
      const wait = Math.max(1, deadline - Date.now());
      const reply = (await conn.request("login", fields, wait, LoginError.TIMEOUT)) as {
        session_id?: unknown;
        resumed?: unknown;
      } | null;
      if (generation !== this.generation) {
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

  /** A login (or re-login) succeeded: its connection is the session's from now on. */
  private adopt(loggedIn: LoggedIn): void {
    this.loggingIn = null;
    this.conn = loggedIn.conn;
    this.sessionId = loggedIn.sessionId;
    this.media = loggedIn.media;
  }

  /** The session is over without a logout request: forget it and every channel. */
  private endLocally(trigger: Trigger, kickReason?: ConnectionChangeReason): void {
    this.generation++; // stops a reconnection in progress
    this.forgetSession();
    this.endInvitations();
    this.move(trigger, kickReason);
  }

  /** Forget the session: its connection, credentials, id and media ticket, and what it held. */
  private forgetSession(): void {
    this.conn = null; // its close is ours now, not a kick
    this.credentials = null;
    this.sessionId = null;
    this.media = null;
    this.leaveSession(); // protocol §3.8, §3.14, §3.17: channels, following, attributes
  }

  private async endSession(): Promise<void> {
    const conn = this.conn;
    this.forgetSession();
    if (conn?.isOpen) {
      try {
        await conn.request("logout", {}, REQUEST_TIMEOUT_MS, 1);
      } catch {
        // Logging out locally is what matters; the server ends the session anyway.
      }
      conn.close(1000);
    }
    this.endInvitations(); // protocol §3.21: invitations end with the session
    this.move(Trigger.LOGOUT);
  }

  /**
   * Log in again after a lost link (protocol §3.2, §5): new connections with `resume`, with
   * backoff and jitter, until the session is resumed (nothing else to do: the server replays
   * what was missed) or a new one is made (then restore it), or the login is refused for
   * good, or logout() stops it.
   */
  private async reconnect(): Promise<void> {
    const credentials = this.credentials;
    if (credentials === null) return;
    const generation = ++this.generation;
    let delay = RECONNECT_FIRST_DELAY_MS;
    while (generation === this.generation) {
      let result: LoggedIn | null = null;
      try {
        const deadline = Date.now() + LOGIN_TIMEOUT_MS;
        result = await this.loginOnce(credentials, this.sessionId, generation, deadline);
      } catch (error) {
        const code = (error as RtmError).serverCode;
        if (generation !== this.generation) return;
        if (code === 6) {
          // Spec §3.2, protocol §3.19: an expired token keeps RECONNECTING and says so once;
          // renewToken() supplies the token of the next attempt.
          if (!this.tokenExpiredTold) {
            this.tokenExpiredTold = true;
            this.fire("TokenExpired");
          }
        } else if (code !== undefined && FINAL_LOGIN_CODES.has(code)) {
          this.endLocally(Trigger.REJECTED);
          return;
        }
      }
      if (generation !== this.generation) {
        result?.conn.close();
        return;
      }
      if (result !== null) {
        this.adopt(result);
        if (!result.resumed) {
          this.endInvitations(); // the server ended the invitations with the old session
          await this.restoreSession(result.conn);
        }
        if (generation !== this.generation || this.conn !== result.conn) return;
        this.move(Trigger.ACCEPTED);
        return;
      }
      // Full jitter over the current step, so that clients cut together do not return together.
      const pause = delay / 2 + Math.random() * (delay / 2);
      await new Promise((resolve) => setTimeout(resolve, pause));
      delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
    }
  }

  /** A logged-in connection closed without our logout (protocol §5). */
  private onClose(conn: Connection, code: number): void {
    if (conn !== this.conn) return; // a login attempt's connection: its login() handles it
    this.conn = null;
    const [trigger, reason] = closeTrigger(code);
    if (trigger === Trigger.LINK_LOST) {
      // Protocol §3.2: the session waits for a resume; its channels are kept for it. Already
      // RECONNECTING (the link of a re-login lost while restoring), it stays so and retries.
      this.move(trigger);
      void this.reconnect();
    } else {
      this.endLocally(trigger, reason);
      if (code === 4002) this.fire("TokenExpired"); // spec §1.3
    }
  }
}
