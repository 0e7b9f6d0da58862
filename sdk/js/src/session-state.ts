/**
 * A client's connection state and its logged-in link (spec §3; protocol §3.1, §5): the state
 * moves only along the table of connection-states.ts, and the session's requests wait here
 * for the link while RECONNECTING (spec §1.2). session.ts makes the moves (login, logout,
 * reconnection); `RtmClient` (client.ts) derives from both.
 */

import type { Connection } from "./connection";
import { nextState, type Trigger } from "./connection-states";
import { EventEmitter, fire } from "./emitter";
import { ConnectionState, type ConnectionChangeReason } from "./enums";
import { rtmError } from "./errors";
import type { MediaSession } from "./media";

/** Who logs in (protocol §3.1). */
export interface Credentials {
  uid: string;
  token: string | null;
}

/** A logged-in connection and its session (protocol §3.1 login reply; §10.1 media). */
export interface LoggedIn {
  conn: Connection;
  sessionId: string;
  resumed: boolean;
  media: MediaSession | null;
}

/** Spec §4.17: the Web SDK gives up a request after 10 s. */
export const REQUEST_TIMEOUT_MS = 10_000;

export abstract class SessionState extends EventEmitter {
  protected state: ConnectionState = ConnectionState.DISCONNECTED;
  /** The logged-in connection; null before login, after the session, and while the link is lost. */
  protected conn: Connection | null = null;
  protected loggingOut: Promise<void> | null = null;
  /** Who is logged in, and the session to resume after a lost link (protocol §3.1). */
  protected credentials: Credentials | null = null;
  protected sessionId: string | null = null;
  /** The session's media base URL and ticket, from its login reply (protocol §3.1, §10.1). */
  protected media: MediaSession | null = null;
  /** Requests waiting for a reconnection to end (spec §1.2: up to their timeout). */
  private readonly waiters = new Set<() => void>();

  /** The connection state (spec §3.1). */
  get connectionState(): ConnectionState {
    return this.state;
  }

  /** The logged-in connection while CONNECTED (and not logging out), else null. */
  protected connection(): Connection | null {
    return this.state === ConnectionState.CONNECTED && !this.loggingOut ? this.conn : null;
  }

  /** True while RECONNECTING with the session kept (and not logging out). */
  protected reconnecting(): boolean {
    return this.state === ConnectionState.RECONNECTING && !this.loggingOut;
  }

  /** Logged in: CONNECTED, or RECONNECTING with the session kept. */
  protected loggedIn(): boolean {
    const state = this.state;
    return (
      this.credentials !== null &&
      !this.loggingOut &&
      (state === ConnectionState.CONNECTED || state === ConnectionState.RECONNECTING)
    );
  }

  /**
   * The logged-in connection once a reconnection in progress ends with CONNECTED, or null
   * when it ends otherwise or takes longer than `timeoutMs`.
   */
  protected whenReconnected(timeoutMs: number): Promise<Connection | null> {
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

  /**
   * The logged-in connection: at once when CONNECTED, after the reconnection while
   * RECONNECTING (spec §1.2: a request waits for the link, within its timeout, else
   * `timeoutCode`); refused with `notLoggedIn` otherwise.
   */
  protected async connected(notLoggedIn: number, timeoutCode: number): Promise<Connection> {
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
  protected async request(
    op: string,
    fields: Record<string, unknown>,
    notLoggedIn: number,
    timeoutCode: number,
  ): Promise<unknown> {
    const started = Date.now();
    const conn = await this.connected(notLoggedIn, timeoutCode);
    return conn.request(op, fields, remainingMs(started), timeoutCode);
  }

  /** Move along the table (connection-states.ts); a move it has no row for changes nothing. */
  protected move(trigger: Trigger, kickReason?: ConnectionChangeReason): void {
    const next = nextState(this.state, trigger, kickReason);
    if (next === null) return;
    this.state = next[0];
    this.fire("ConnectionStateChanged", ...next);
    if (this.state !== ConnectionState.RECONNECTING) {
      for (const waiter of [...this.waiters]) waiter();
    }
  }

  /** Emit one of the client's events, shielded from listeners that throw (emitter.ts). */
  protected fire(event: string, ...args: unknown[]): void {
    fire(this, event, args);
  }
}

/** What is left of a request's 10 s (spec §4.17) that began at `started`, at least 1 ms. */
export function remainingMs(started: number): number {
  return Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
}
