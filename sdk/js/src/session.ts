/**
 * A client's login session (spec §1.2, §3; protocol §3.1, §3.2, §5): the connection state,
 * moved only along connection-states.ts; login, logout and token renewal; the session's
 * requests; and, after a lost link, logging in again with `resume`, with backoff, until the
 * session is resumed or restored, or the login is refused for good.
 */

import type { Connection, ServerFrame } from "./connection";
import { nextState, Trigger } from "./connection-states";
import { ConnectionChangeReason, ConnectionState } from "./enums";
import { LoginError, LogoutError, RenewTokenError, rtmError, type RtmError } from "./errors";
import { isValidUserId, RENEW_TOKEN_RATE, type RateWindows } from "./limits";
import {
  connectAndLogin,
  loginError,
  loginOnce,
  type Credentials,
  type LoggedIn,
  type LoginAttempt,
} from "./login-attempt";
import type { MediaSession } from "./media";

/** Spec §4.17: the Web SDK gives up a login after 12 s, other requests after 10 s. */
const LOGIN_TIMEOUT_MS = 12_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** Spec §1.2, §5.4: login at most twice a second. */
const LOGIN_SPACING_MS = 500;
/** Protocol §5: reconnection backoff, doubling from 250 ms to 10 s, with jitter. */
const RECONNECT_FIRST_DELAY_MS = 250;
const RECONNECT_MAX_DELAY_MS = 10_000;
/** Protocol §3.1: login refusals that no retry can cure (bad argument, App ID, token). */
const FINAL_LOGIN_CODES = new Set([3, 4, 5, 6]);

/**
 * What a close of a logged-in connection means (protocol §5): the codes that ask for a
 * reconnection (and no close frame at all, 1005/1006) go RECONNECTING; the others abort.
 */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 4004, 4005]);
const ABORT_REASONS: Record<number, ConnectionChangeReason> = {
  4001: ConnectionChangeReason.REMOTE_LOGIN,
  4002: ConnectionChangeReason.TOKEN_EXPIRED,
  4003: ConnectionChangeReason.BANNED_BY_SERVER,
};

/** What the session needs of its client (client.ts). */
export interface SessionOwner {
  readonly appId: string;
  /** The configured server URL (server-url.ts resolves it). */
  server(): string | undefined;
  /** Pushes (protocol §2.2), from the moment a connection opens (protocol §2.3). */
  onPush(frame: ServerFrame, conn: Connection): void;
  fire(event: string, ...args: unknown[]): void;
  /** The session ended (logout, kick): leave every channel, forget presence and attributes. */
  forget(): void;
  /** Invitations end with the session (protocol §3.21). */
  sessionOver(): void;
  /** A new session after a lost one: restore what the old one had, before CONNECTED. */
  restore(conn: Connection): Promise<void>;
}

export class Session {
  private state: ConnectionState = ConnectionState.DISCONNECTED;
  private conn: Connection | null = null;
  /** The connection of the login in progress, so that `logout()` can drop it. */
  private loggingIn: Connection | null = null;
  /** Bumped when a login attempt ends, so that a stale attempt knows to stop. */
  private generation = 0;
  private abortLogin: ((error: RtmError) => void) | null = null;
  private loggingOut: Promise<void> | null = null;
  private lastLoginAt = -Infinity;
  private requestId = 0;
  /** Who is logged in, and the session to resume after a lost link (protocol §3.1). */
  private credentials: Credentials | null = null;
  private sessionId: string | null = null;
  /** The session's media base URL and ticket, from its login reply (protocol §3.1, §10.1). */
  private media: MediaSession | null = null;
  /** Spec §3.2: `TokenExpired` is told once per expired token while RECONNECTING. */
  private tokenExpiredTold = false;
  /** Pending `renewToken()` calls, which a `logout()` rejects with 201 (spec §4.3). */
  private readonly renewals = new Set<() => void>();
  /** Requests waiting for a reconnection to end (spec §1.2: up to their timeout). */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly owner: SessionOwner,
    private readonly rates: RateWindows,
  ) {}

  /** The connection state (spec §3.1). */
  get connectionState(): ConnectionState {
    return this.state;
  }

  /** The login session's id (protocol §3.1): a re-login that could not resume it changes it. */
  get id(): string | null {
    return this.sessionId;
  }

  /** The logged-in connection while CONNECTED (and not logging out), else null. */
  connection(): Connection | null {
    return this.state === ConnectionState.CONNECTED && !this.loggingOut ? this.conn : null;
  }

  /** True while RECONNECTING with the session kept (and not logging out). */
  reconnecting(): boolean {
    return this.state === ConnectionState.RECONNECTING && !this.loggingOut;
  }

  /** Logged in: CONNECTED, or RECONNECTING with the session kept. */
  loggedIn(): boolean {
    const state = this.state;
    return (
      this.credentials !== null &&
      !this.loggingOut &&
      (state === ConnectionState.CONNECTED || state === ConnectionState.RECONNECTING)
    );
  }

  /** Whether `conn` is the session's connection (not a login attempt's, nor an old one). */
  owns(conn: Connection): boolean {
    return conn === this.conn;
  }

  /** Protocol §10.1: transfers need CONNECTED, and the ticket of the session now logged in. */
  mediaSession(): MediaSession | null {
    return this.connection() !== null ? this.media : null;
  }

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
      const attempt = this.attempt(generation);
      const loggedIn = await Promise.race([
        connectAndLogin(attempt, credentials, now + LOGIN_TIMEOUT_MS),
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
      const error = rtmError(LogoutError.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in");
      return Promise.reject(error);
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

  /**
   * The logged-in connection: at once when CONNECTED, after the reconnection while
   * RECONNECTING (spec §1.2: a request waits for the link, within its timeout, else
   * `timeoutCode`); refused with `notLoggedIn` otherwise.
   */
  async connected(notLoggedIn: number, timeoutCode: number): Promise<Connection> {
    let conn = this.connection();
    if (conn === null && this.reconnecting()) {
      conn = await this.whenReconnected(REQUEST_TIMEOUT_MS);
      if (conn === null && this.reconnecting()) {
        throw rtmError(timeoutCode, "RtmTimeoutError", "not reconnected in time");
      }
    }
    if (conn === null) throw rtmError(notLoggedIn, "RtmInvalidStatusError", "not logged in");
    return conn;
  }

  /** One request on the session (protocol §2), sent once `connected`, within 10 s in all. */
  async request(
    op: string,
    fields: Record<string, unknown>,
    notLoggedIn: number,
    timeoutCode: number,
  ): Promise<unknown> {
    const started = Date.now();
    const conn = await this.connected(notLoggedIn, timeoutCode);
    return conn.request(op, fields, remainingMs(started), timeoutCode);
  }

  /**
   * The logged-in connection once a reconnection in progress ends with CONNECTED, or null
   * when it ends otherwise or takes longer than `timeoutMs`.
   */
  whenReconnected(timeoutMs: number): Promise<Connection | null> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.connection());
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** A login attempt of this `generation` (login-attempt.ts). */
  private attempt(generation: number): LoginAttempt {
    return {
      appId: this.owner.appId,
      server: () => this.owner.server(),
      handlers: {
        onPush: (frame, conn) => this.owner.onPush(frame, conn),
        onClose: (conn, code) => this.onClose(conn, code),
      },
      nextRequestId: () => ++this.requestId,
      current: () => generation === this.generation,
      opened: (conn) => {
        this.loggingIn = conn;
      },
    };
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
    this.forget();
    this.owner.sessionOver();
    this.move(trigger, kickReason);
  }

  private forget(): void {
    this.conn = null; // its close is ours now, not a kick
    this.credentials = null;
    this.sessionId = null;
    this.media = null;
    this.owner.forget(); // protocol §3.8, §3.14, §3.17: channels, following, attributes
  }

  private async endSession(): Promise<void> {
    const conn = this.conn;
    this.forget();
    if (conn?.isOpen) {
      try {
        await conn.request("logout", {}, REQUEST_TIMEOUT_MS, 1);
      } catch {
        // Logging out locally is what matters; the server ends the session anyway.
      }
      conn.close(1000);
    }
    this.owner.sessionOver(); // protocol §3.21: invitations end with the session
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
    const attempt = this.attempt(generation);
    let delay = RECONNECT_FIRST_DELAY_MS;
    while (generation === this.generation) {
      let result: LoggedIn | null = null;
      try {
        const deadline = Date.now() + LOGIN_TIMEOUT_MS;
        result = await loginOnce(attempt, credentials, this.sessionId, deadline);
      } catch (error) {
        const code = (error as RtmError).serverCode;
        if (generation !== this.generation) return;
        if (code === 6) {
          // Spec §3.2, protocol §3.19: an expired token keeps RECONNECTING and says so once;
          // renewToken() supplies the token of the next attempt.
          if (!this.tokenExpiredTold) {
            this.tokenExpiredTold = true;
            this.owner.fire("TokenExpired");
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
          this.owner.sessionOver(); // the server ended the invitations with the old session
          await this.owner.restore(result.conn);
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
    const reason = ABORT_REASONS[code];
    if (reason !== undefined) {
      this.endLocally(Trigger.KICKED, reason);
      if (code === 4002) this.owner.fire("TokenExpired"); // spec §1.3
    } else if (RECONNECT_CODES.has(code)) {
      // Protocol §3.2: the session waits for a resume; its channels are kept for it. Already
      // RECONNECTING (the link of a re-login lost while restoring), it stays so and retries.
      this.move(Trigger.LINK_LOST);
      void this.reconnect();
    } else if (code === 1000) {
      this.endLocally(Trigger.CLOSED);
    } else {
      // Protocol §5: any other code aborts, as the Web SDK treats unknown kicks.
      this.endLocally(Trigger.KICKED);
    }
  }

  /** Move along the table (connection-states.ts); a move it has no row for changes nothing. */
  private move(trigger: Trigger, kickReason?: ConnectionChangeReason): void {
    const next = nextState(this.state, trigger, kickReason);
    if (next === null) return;
    this.state = next[0];
    this.owner.fire("ConnectionStateChanged", ...next);
    if (this.state !== ConnectionState.RECONNECTING) {
      for (const waiter of [...this.waiters]) waiter();
    }
  }
}

/** What is left of a request's 10 s (spec §4.17) that began at `started`, at least 1 ms. */
export function remainingMs(started: number): number {
  return Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
}
