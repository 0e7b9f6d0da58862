/**
 * `RtmClient` (spec §1.2, §1.3): login, logout, peer messages and channels (`createChannel`,
 * channel.ts) over the openrtm protocol.
 * Reconnection and session resume (protocol §3.2, §5 "reconnect") are the next increment:
 * today a lost link ends the session (DISCONNECTED / INTERRUPTED).
 */

import { CHANNEL_PUSHES, RtmChannel, type ChannelHost } from "./channel";
import { Connection, type ServerFrame } from "./connection";
import { EventEmitter } from "./emitter";
import { ConnectionChangeReason, ConnectionState } from "./enums";
import {
  CreateChannelError,
  LoginError,
  LogoutError,
  PeerMessageError,
  rtmError,
  type RtmError,
} from "./errors";
import { isValidUserId, RateWindows } from "./limits";
import {
  fromWire,
  toWire,
  type PeerMessageSendResult,
  type RtmMessage,
  type SendMessageOptions,
  type WireMessage,
} from "./messages";
import { resolveServerUrl } from "./server-url";

/** `createInstance`'s config (spec §1.1), plus `server`: the openrtm WebSocket URL. */
export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: unknown;
  enableCloudProxy?: boolean;
  server?: string;
}

/** Sent in the login's informational `sdk` field (protocol §3.1). */
const SDK = "js/0.1.0";
/** Spec §4.17: the Web SDK gives up a login after 12 s, other requests after 10 s. */
const LOGIN_TIMEOUT_MS = 12_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Spec §1.2, §5.4: login at most twice a second; 180 messages per 3 s. */
const LOGIN_SPACING_MS = 500;
const MESSAGE_BUDGET = 180;
const MESSAGE_WINDOW_MS = 3_000;
/** How many (sender, mid) pairs are remembered to drop redeliveries (protocol §3.4). */
const SEEN_MESSAGES = 4096;

/**
 * What a close of a logged-in connection means (protocol §5). The codes that ask for a
 * reconnection end in DISCONNECTED until reconnection exists; the others abort.
 */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 4004, 4005]);
const ABORT_REASONS: Record<number, ConnectionChangeReason> = {
  4001: ConnectionChangeReason.REMOTE_LOGIN,
  4002: ConnectionChangeReason.TOKEN_EXPIRED,
  4003: ConnectionChangeReason.BANNED_BY_SERVER,
};

export class RtmClient extends EventEmitter {
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
  private readonly midPrefix = randomHex(8);
  private midCounter = 0;
  private sendTimes: number[] = [];
  private readonly seen = new Set<string>();
  /** What the channels need of this client, without widening its public face. */
  private readonly host: ChannelHost;

  constructor(
    readonly appId: string,
    private readonly config: RtmConfig,
  ) {
    super();
    this.host = {
      connection: () =>
        this.state === ConnectionState.CONNECTED && !this.loggingOut ? this.conn : null,
      channels: new Map(),
      rates: new RateWindows(),
      takeMessageBudget: () => this.takeMessageBudget(),
      nextMid: () => this.nextMid(),
      fire: (target, event, ...args) => fire(target, event, args),
    };
  }

  /** The connection state (spec §3.1). */
  get connectionState(): ConnectionState {
    return this.state;
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
    this.transition(ConnectionState.CONNECTING, ConnectionChangeReason.LOGIN);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = new Promise<never>((_, reject) => {
      this.abortLogin = reject;
      const timedOut = () => reject(loginError(LoginError.TIMEOUT, "login timed out"));
      timer = setTimeout(timedOut, LOGIN_TIMEOUT_MS);
    });
    try {
      const deadline = now + LOGIN_TIMEOUT_MS;
      const attempt = this.connectAndLogin(uid, token || null, generation, deadline);
      const conn = await Promise.race([attempt, stopped]);
      this.loggingIn = null;
      this.conn = conn;
      this.transition(ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS);
    } catch (error) {
      if (generation === this.generation) {
        // Not ended by logout(), which has moved the state on itself.
        this.generation++;
        this.loggingIn?.close();
        this.loggingIn = null;
        const timedOut = (error as RtmError).code === LoginError.TIMEOUT;
        this.transition(
          ConnectionState.DISCONNECTED,
          timedOut ? ConnectionChangeReason.LOGIN_TIMEOUT : ConnectionChangeReason.LOGIN_FAILURE,
        );
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
    switch (this.state) {
      case ConnectionState.DISCONNECTED:
        return Promise.reject(
          rtmError(LogoutError.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in"),
        );
      case ConnectionState.CONNECTING:
        // Spec §3.2: the pending login() rejects with 201.
        this.generation++;
        this.loggingIn?.close();
        this.loggingIn = null;
        this.abortLogin?.(loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login"));
        this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
        return Promise.resolve();
      default:
        this.loggingOut = this.endSession().finally(() => {
          this.loggingOut = null;
        });
        return this.loggingOut;
    }
  }

  /**
   * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1; protocol §3.4). Resolves
   * `{hasPeerReceived}`: true once the peer's SDK acknowledged it; an offline peer is not an
   * error. Codes (spec §4.4): 6 bad peer id, 7 bad message, 102 not logged in, 5 over 180
   * messages in 3 s, 2 no answer.
   */
  async sendMessageToPeer(
    message: RtmMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult> {
    if (!isValidUserId(peerId)) {
      throw rtmError(PeerMessageError.INVALID_USERID, "RtmInvalidArgumentError", "invalid peer id");
    }
    const msg = toWire(message);
    const conn = this.conn;
    if (this.state !== ConnectionState.CONNECTED || conn === null || this.loggingOut) {
      const code = PeerMessageError.USER_NOT_LOGGED_IN;
      throw rtmError(code, "RtmInvalidStatusError", "not logged in");
    }
    if (!this.takeMessageBudget()) {
      const code = PeerMessageError.TOO_OFTEN;
      throw rtmError(code, "RtmLimitExceededError", "over 180 messages in 3 s");
    }
    const fields: Record<string, unknown> = { to: peerId, mid: this.nextMid(), msg };
    if (options?.enableOfflineMessaging) fields.offline = true;
    if (options?.enableHistoricalMessaging) fields.history = true;
    const timeoutCode = PeerMessageError.TIMEOUT;
    const result = await conn.request("peer_msg", fields, REQUEST_TIMEOUT_MS, timeoutCode);
    // Protocol §3.4: `received` is false for an offline peer, stored (`cached`) or not.
    return { hasPeerReceived: (result as { received?: boolean } | undefined)?.received === true };
  }

  /**
   * A channel object (spec §1.2 `createChannel`, §1.4); joining is separate. Throws code 1
   * `RtmInvalidArgumentError` for an invalid channel id (spec §4.15, §5.1).
   */
  createChannel(channelId: string): RtmChannel {
    if (!isValidUserId(channelId)) {
      const code = CreateChannelError.INVALID_ARGUMENT;
      throw rtmError(code, "RtmInvalidArgumentError", "invalid channel id");
    }
    return new RtmChannel(channelId, this.host);
  }

  /** `createMessage` is the identity in 1.5.1 (spec §1.2). */
  createMessage<T>(message: T): T {
    return message;
  }

  /** Spec §5.4: peer and channel messages share one budget of 180 in 3 s. */
  private takeMessageBudget(): boolean {
    const now = Date.now();
    this.sendTimes = this.sendTimes.filter((t) => now - t < MESSAGE_WINDOW_MS);
    if (this.sendTimes.length >= MESSAGE_BUDGET) return false;
    this.sendTimes.push(now);
    return true;
  }

  /** Protocol §3.4, §3.9: `mid` is unique per sender, across logins too (a random prefix). */
  private nextMid(): string {
    return `${this.midPrefix}-${++this.midCounter}`;
  }

  /** The session ended (logout, kick, lost link): the server has left every channel. */
  private leaveAllChannels(): void {
    for (const channel of [...this.host.channels.values()]) channel.forget();
  }

  /** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
  private async connectAndLogin(
    uid: string,
    token: string | null,
    generation: number,
    deadline: number,
  ): Promise<Connection> {
    const url = await resolveServerUrl(this.config.server);
    const handlers = {
      onPush: (frame: ServerFrame, conn: Connection) => this.onPush(frame, conn),
      onClose: (conn: Connection, code: number) => this.onClose(conn, code),
    };
    let delay = 250;
    while (generation === this.generation) {
      let conn: Connection | null = null;
      try {
        conn = await Connection.open(url, () => ++this.requestId, handlers);
        if (generation !== this.generation) {
          conn.close(); // the login timed out or was abandoned meanwhile
          break;
        }
        this.loggingIn = conn;
        const fields: Record<string, unknown> = { v: 1, app_id: this.appId, uid, sdk: SDK };
        if (token) fields.token = token;
        const wait = Math.max(1, deadline - Date.now());
        await conn.request("login", fields, wait, LoginError.TIMEOUT);
        if (generation !== this.generation) break;
        return conn;
      } catch (error) {
        conn?.close();
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

  private async endSession(): Promise<void> {
    const conn = this.conn;
    this.conn = null; // its close is ours now, not a kick
    this.leaveAllChannels(); // protocol §3.8: logging out leaves every channel
    if (conn?.isOpen) {
      try {
        await conn.request("logout", {}, REQUEST_TIMEOUT_MS, 1);
      } catch {
        // Logging out locally is what matters; the server ends the session anyway.
      }
      conn.close(1000);
    }
    this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
  }

  /** A logged-in connection closed without our logout (protocol §5). */
  private onClose(conn: Connection, code: number): void {
    if (conn !== this.conn) return; // a login attempt's connection: its login() handles it
    this.conn = null;
    this.leaveAllChannels(); // no resume yet: the session, and its channels, are gone
    const reason = ABORT_REASONS[code];
    if (reason !== undefined) {
      this.transition(ConnectionState.ABORTED, reason);
      if (code === 4002) this.fire("TokenExpired"); // spec §1.3
    } else if (RECONNECT_CODES.has(code) || code === 1000) {
      this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.INTERRUPTED);
    } else {
      // Protocol §5: any other code aborts, as the Web SDK treats unknown kicks.
      this.transition(ConnectionState.ABORTED, ConnectionChangeReason.INTERRUPTED);
    }
  }

  /** Pushes (protocol §2.2), handled from the moment the WebSocket opens (protocol §2.3). */
  private onPush(frame: ServerFrame, conn: Connection): void {
    if (frame.t === "peer_msg") this.onPeerMessage(frame, conn);
    else if (frame.t === "token_expiring") this.fire("TokenPrivilegeWillExpire"); // spec §1.3
    else if (CHANNEL_PUSHES.has(frame.t) && conn === this.conn) {
      // Protocol §3.11: routed by `channel`; dropped for a channel this client has left.
      this.host.channels.get(String(frame.channel))?.onPush(frame);
    }
  }

  /**
   * A peer message (protocol §3.5): hand it to the app, then acknowledge it — every push, even
   * a redelivery (same sender and `mid`, spec §6.5) that is not shown again.
   */
  private onPeerMessage(frame: ServerFrame, conn: Connection): void {
    try {
      const from = String(frame.from);
      const key = JSON.stringify([from, frame.mid]);
      if (!this.seen.has(key)) {
        this.seen.add(key);
        if (this.seen.size > SEEN_MESSAGES) {
          this.seen.delete(this.seen.values().next().value as string);
        }
        this.fire("MessageFromPeer", fromWire((frame.msg ?? {}) as WireMessage), from, {
          serverReceivedTs: typeof frame.ts === "number" ? frame.ts : 0,
          isOfflineMessage: frame.offline === true,
        });
      }
    } finally {
      conn.send({ op: "ack", d: frame.d });
    }
  }

  private transition(state: ConnectionState, reason: ConnectionChangeReason): void {
    this.state = state;
    this.fire("ConnectionStateChanged", state, reason);
  }

  /** Emit one of the client's events (see `fire` below). */
  private fire(event: string, ...args: unknown[]): void {
    fire(this, event, args);
  }
}

/**
 * Emit an SDK event. A listener that throws must not break the SDK's own bookkeeping (a
 * login half done, an ack not sent): its error is rethrown on its own, to reach the console.
 */
function fire(target: EventEmitter, event: string, args: unknown[]): void {
  try {
    target.emit(event, ...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

function loginError(code: number, message: string): RtmError {
  const names: Record<number, string> = {
    [LoginError.UNKNOWN]: "RtmUnknownError",
    [LoginError.INVALID_ARGUMENT]: "RtmInvalidArgumentError",
    [LoginError.TIMEOUT]: "RtmTimeoutError",
    [LoginError.TOO_OFTEN]: "RtmInvokeTooOftenError",
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
