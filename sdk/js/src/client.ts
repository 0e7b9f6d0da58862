/**
 * `RtmClient` (spec §1.2, §1.3): login, logout, peer messages and channels (`createChannel`,
 * channel.ts) over the openrtm protocol.
 * A lost link (protocol §3.2, §5 "reconnect") goes RECONNECTING and logs in again with
 * `resume`, with backoff, until the session is resumed or restored, or the login is refused
 * for good.
 */

import { Attributes } from "./attributes";
import { CHANNEL_PUSHES, RtmChannel, type ChannelHost } from "./channel";
import { Connection, type ServerFrame } from "./connection";
import type { EventEmitter } from "./emitter";
import { ConnectionChangeReason, ConnectionState } from "./enums";
import {
  CreateChannelError,
  LoginError,
  LogoutError,
  PeerMessageError,
  RenewTokenError,
  rtmError,
  type RtmError,
} from "./errors";
import { INVITATION_PUSHES, Invitations } from "./invitations";
import { isValidUserId, RateWindows, RENEW_TOKEN_RATE } from "./limits";
import {
  MediaTransfers,
  mediaSession,
  type MediaMessageParams,
  type MediaSession,
  type MediaTransferHandler,
} from "./media";
import type { RtmFileMessage, RtmImageMessage } from "./media-messages";
import {
  createMessage,
  fromWire,
  toWire,
  type PeerMessageSendResult,
  type RtmMessage,
  type SendMessageOptions,
  type WireMessage,
} from "./messages";
import { Presence, type SessionLink } from "./presence";
import type { LogFilterType } from "./log-filters";
import { isServerUrl, resolveServerUrl } from "./server-url";
import { SessionFeatures } from "./session-features";

/** `createInstance`'s config (spec §1.1), plus `server`: the openrtm WebSocket URL. */
export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
  server?: string;
}

/** The config keys `updateConfig` keeps (Agora's three and openrtm's `server`). */
const CONFIG_KEYS = ["enableLogUpload", "logFilter", "enableCloudProxy", "server"] as const;

/** Sent in the login's informational `sdk` field (protocol §3.1). */
const SDK = "js/0.1.0";
/** Spec §4.17: the Web SDK gives up a login after 12 s, other requests after 10 s. */
const LOGIN_TIMEOUT_MS = 12_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Spec §1.2, §5.4: login at most twice a second; 180 messages per 3 s. */
const LOGIN_SPACING_MS = 500;
const MESSAGE_BUDGET = 180;
const MESSAGE_WINDOW_MS = 3_000;
/** Protocol §5: reconnection backoff, doubling from 250 ms to 10 s, with jitter. */
const RECONNECT_FIRST_DELAY_MS = 250;
const RECONNECT_MAX_DELAY_MS = 10_000;
/** Protocol §3.1: login refusals that no retry can cure (bad argument, App ID, token). */
const FINAL_LOGIN_CODES = new Set([3, 4, 5, 6]);
/** How many (sender, mid) pairs are remembered to drop redeliveries (protocol §3.4). */
const SEEN_MESSAGES = 4096;

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

export class RtmClient extends SessionFeatures {
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
  /** Who is logged in, and the session to resume after a lost link (protocol §3.1). */
  private credentials: { uid: string; token: string | null } | null = null;
  private sessionId: string | null = null;
  /** The session's media base URL and ticket, from its login reply (protocol §3.1, §10.1). */
  private media: MediaSession | null = null;
  private readonly transfers: MediaTransfers;
  /** Spec §3.2: `TokenExpired` is told once per expired token while RECONNECTING. */
  private tokenExpiredTold = false;
  /** Pending `renewToken()` calls, which a `logout()` rejects with 201 (spec §4.3). */
  private readonly renewals = new Set<() => void>();
  /** Requests waiting for a reconnection to end (spec §1.2: up to their timeout). */
  private readonly waiters = new Set<() => void>();
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
      whenReconnected: (timeoutMs) => this.whenReconnected(timeoutMs),
      reconnecting: () => this.state === ConnectionState.RECONNECTING && !this.loggingOut,
      takeMessageBudget: () => this.takeMessageBudget(),
      nextMid: () => this.nextMid(),
      fire: (target, event, ...args) => fire(target, event, args),
    };
    const link: SessionLink = {
      loggedIn: () =>
        this.credentials !== null &&
        !this.loggingOut &&
        (this.state === ConnectionState.CONNECTED || this.state === ConnectionState.RECONNECTING),
      request: (op, fields, notLoggedIn, timeout) => this.call(op, fields, notLoggedIn, timeout),
      rates: this.host.rates,
      fire: (event, ...args) => this.fire(event, ...args),
    };
    this.presence = new Presence(link);
    this.attributes = new Attributes(link);
    const session = () => this.sessionId;
    this.invitations = new Invitations({ ...this.host, session, client: this });
    // Protocol §10.1: transfers need CONNECTED, and the ticket of the session now logged in
    // (a new session after a lost link has a new one).
    const connected = () => this.state === ConnectionState.CONNECTED && !this.loggingOut;
    this.transfers = new MediaTransfers({ session: () => (connected() ? this.media : null) });
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
      const { conn, sessionId } = await Promise.race([attempt, stopped]);
      this.loggingIn = null;
      this.conn = conn;
      this.credentials = { uid, token: token || null };
      this.tokenExpiredTold = false;
      this.sessionId = sessionId;
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
    for (const abort of [...this.renewals]) abort();
    switch (this.state) {
      case ConnectionState.DISCONNECTED:
        return Promise.reject(
          rtmError(LogoutError.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in"),
        );
      case ConnectionState.RECONNECTING:
        if (this.conn === null) {
          // Protocol §5: logout stops the reconnection; there is no link to say goodbye on.
          this.generation++;
          this.loggingIn?.close();
          this.loggingIn = null;
          this.endLocally(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
          return Promise.resolve();
        }
        // Logged in again, re-joining channels: log out on that connection (endSession).
        this.generation++;
        this.loggingOut = this.endSession().finally(() => {
          this.loggingOut = null;
        });
        return this.loggingOut;
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
    const connected = this.state === ConnectionState.CONNECTED && !this.loggingOut;
    if (credentials === null || (!connected && !this.host.reconnecting())) {
      const code = RenewTokenError.USER_NOT_LOGGED_IN;
      throw rtmError(code, "RtmInvalidStatusError", "not logged in");
    }
    if (this.host.rates.within(["renew_token", RENEW_TOKEN_RATE]) >= 0) {
      const code = RenewTokenError.TOO_OFTEN;
      throw rtmError(code, "RtmInvokeTooOftenError", "over 2 calls a second");
    }
    const conn = this.host.connection();
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
   * One request on the session (protocol §2): sent at once when CONNECTED, after the
   * reconnection while RECONNECTING (spec §1.2, within the request timeout), refused with
   * `notLoggedIn` otherwise; `timeoutCode` when no answer comes in time.
   */
  private async call(
    op: string,
    fields: Record<string, unknown>,
    notLoggedIn: number,
    timeoutCode: number,
  ): Promise<unknown> {
    const started = Date.now();
    let conn = this.host.connection();
    if (conn === null && this.host.reconnecting()) {
      conn = await this.whenReconnected(REQUEST_TIMEOUT_MS);
      if (conn === null && this.host.reconnecting()) {
        throw rtmError(timeoutCode, "RtmTimeoutError", "not reconnected in time");
      }
    }
    if (conn === null) throw rtmError(notLoggedIn, "RtmInvalidStatusError", "not logged in");
    const wait = Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
    return conn.request(op, fields, wait, timeoutCode);
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
    const wire = toWire(message);
    const msg = wire instanceof Promise ? await wire : wire; // media-messages.ts: a thumbnail
    const started = Date.now();
    let conn = this.host.connection();
    if (conn === null && this.host.reconnecting()) {
      // Spec §1.2: a message sent while reconnecting waits for the link, within its timeout.
      conn = await this.whenReconnected(REQUEST_TIMEOUT_MS);
      if (conn === null && this.host.reconnecting()) {
        const code = PeerMessageError.TIMEOUT;
        throw rtmError(code, "RtmTimeoutError", "not reconnected in time");
      }
    }
    if (conn === null) {
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
    const wait = Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
    const result = await conn.request("peer_msg", fields, wait, timeoutCode);
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

  /** `createMessage` (spec §1.2): the identity, but FILE/IMAGE get their defaults (1.4.x). */
  createMessage<T>(message: Partial<T>): T {
    return createMessage(message as T);
  }

  /**
   * Change the config after `createInstance` (spec §1.2, since 1.4.2). Like Agora's, it keeps
   * the keys whose value is not null or undefined and ignores unknown ones; `logFilter`,
   * `enableLogUpload` and `enableCloudProxy` have no effect here, and a new `server` is used
   * from the next connection on. Throws code 1 `RtmInvalidArgumentError` for a config that is
   * not an object or a `server` that is not a `ws://` / `wss://` URL.
   */
  updateConfig(config: RtmConfig): void {
    if (typeof config !== "object" || config === null) {
      throw rtmError(1, "RtmInvalidArgumentError", "the config must be an object");
    }
    if (config.server !== undefined && config.server !== null && !isServerUrl(config.server)) {
      throw rtmError(1, "RtmInvalidArgumentError", "server must be a ws:// or wss:// URL");
    }
    for (const key of CONFIG_KEYS) {
      const value = config[key];
      if (value !== undefined && value !== null) Object.assign(this.config, { [key]: value });
    }
  }

  /** The deprecated name of `updateConfig` (spec §1.2, before 1.4.2). */
  setParameters(config: RtmConfig): void {
    this.updateConfig(config);
  }

  /** Upload a FILE or IMAGE message's object (spec §1.2, ≤ 1.4.x; media.ts). */
  createMediaMessageByUploading(
    blob: Blob,
    params?: MediaMessageParams,
    handler?: MediaTransferHandler,
  ): Promise<RtmFileMessage | RtmImageMessage> {
    return this.transfers.upload(blob, params, handler);
  }

  /** Download a FILE or IMAGE message's object as a Blob (spec §1.2, ≤ 1.4.x; media.ts). */
  downloadMedia(mediaId: string, handler?: MediaTransferHandler): Promise<Blob> {
    return this.transfers.download(mediaId, handler);
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

  /**
   * The logged-in connection once a reconnection in progress ends with CONNECTED, or null
   * when it ends otherwise or takes longer than `timeoutMs`.
   */
  private whenReconnected(timeoutMs: number): Promise<Connection | null> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.host.connection());
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** The session is over without a logout request: forget it and every channel. */
  private endLocally(state: ConnectionState, reason: ConnectionChangeReason): void {
    this.generation++; // stops a reconnection in progress
    this.conn = null;
    this.credentials = null;
    this.sessionId = null;
    this.media = null;
    this.leaveAllChannels();
    this.presence.clear(); // following ends with the session (protocol §3.14)
    this.attributes.clear(); // and so do user attributes (protocol §3.17)
    this.invitations.sessionOver(); // and invitations (protocol §3.21)
    this.transition(state, reason);
  }

  /**
   * Log in again after a lost link (protocol §3.2, §5): new connections with `resume`, with
   * backoff and jitter, until the session is resumed (nothing else to do: the server replays
   * what was missed) or a new one is made (then re-join the channels), or the login is refused
   * for good, or logout() stops it.
   */
  private async reconnect(): Promise<void> {
    const credentials = this.credentials;
    if (credentials === null) return;
    const generation = ++this.generation;
    let delay = RECONNECT_FIRST_DELAY_MS;
    while (generation === this.generation) {
      let result: { conn: Connection; sessionId: string; resumed: boolean } | null = null;
      try {
        result = await this.loginOnce(credentials, generation, Date.now() + LOGIN_TIMEOUT_MS);
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
          this.endLocally(ConnectionState.ABORTED, ConnectionChangeReason.LOGIN_FAILURE);
          return;
        }
      }
      if (generation !== this.generation) {
        result?.conn.close();
        return;
      }
      if (result !== null) {
        this.loggingIn = null;
        this.conn = result.conn;
        this.sessionId = result.sessionId;
        if (!result.resumed) {
          this.invitations.sessionOver(); // the server ended them with the old session
          await this.restoreSession(result.conn);
        }
        if (generation !== this.generation || this.conn !== result.conn) return;
        this.transition(ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS);
        return;
      }
      // Full jitter over the current step, so that clients cut together do not return together.
      const pause = delay / 2 + Math.random() * (delay / 2);
      await new Promise((resolve) => setTimeout(resolve, pause));
      delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
    }
  }

  /**
   * A new session after a lost one (protocol §3.2, §9): re-join the channels, follow the same
   * peers and write the user attributes again, before CONNECTED is announced, as the Python SDK does.
   */
  private async restoreSession(conn: Connection): Promise<void> {
    const send = (op: string, fields: Record<string, unknown>) =>
      conn.request(op, fields, REQUEST_TIMEOUT_MS, 1);
    await Promise.all([
      this.rejoinChannels(conn),
      this.presence.restore(send),
      this.attributes.restore(send),
    ]);
  }

  /**
   * A new session after a lost one (protocol §3.2): join again every channel that was joined.
   * A channel the server refuses now is left, as the session that joined it is gone.
   */
  private async rejoinChannels(conn: Connection): Promise<void> {
    const channels = [...this.host.channels.values()];
    await Promise.all(
      channels.map(async (channel) => {
        try {
          const fields = { channel: channel.channelId };
          await conn.request("join", fields, REQUEST_TIMEOUT_MS, 1);
        } catch {
          if (conn === this.conn) channel.forget();
        }
      }),
    );
  }

  /** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
  private async connectAndLogin(
    uid: string,
    token: string | null,
    generation: number,
    deadline: number,
  ): Promise<{ conn: Connection; sessionId: string }> {
    let delay = 250;
    while (generation === this.generation) {
      try {
        const result = await this.loginOnce({ uid, token }, generation, deadline);
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
   * lost. Null when the attempt was abandoned (`generation` moved on); rejects when the
   * connection fails or the server refuses (`serverCode` set).
   */
  private async loginOnce(
    credentials: { uid: string; token: string | null },
    generation: number,
    deadline: number,
  ): Promise<{ conn: Connection; sessionId: string; resumed: boolean } | null> {
    const url = await resolveServerUrl(this.config.server);
    const handlers = {
      onPush: (frame: ServerFrame, conn: Connection) => this.onPush(frame, conn),
      onClose: (conn: Connection, code: number) => this.onClose(conn, code),
    };
    let conn: Connection | null = null;
    try {
      conn = await Connection.open(url, () => ++this.requestId, handlers);
      if (generation !== this.generation) {
        conn.close(); // the login timed out or was abandoned meanwhile
        return null;
      }
      this.loggingIn = conn;
      const { uid, token } = credentials;
      const fields: Record<string, unknown> = { v: 1, app_id: this.appId, uid, sdk: SDK };
      if (token) fields.token = token;
      if (this.sessionId) fields.resume = this.sessionId;
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
      this.media = mediaSession(reply, url); // this attempt is the current one (checked above)
      return { conn, sessionId, resumed: reply?.resumed === true };
    } catch (error) {
      conn?.close();
      throw error;
    }
  }

  private async endSession(): Promise<void> {
    const conn = this.conn;
    this.conn = null; // its close is ours now, not a kick
    this.credentials = null;
    this.sessionId = null;
    this.media = null;
    this.leaveAllChannels(); // protocol §3.8: logging out leaves every channel
    this.presence.clear(); // spec §6.9: logging out ends every subscription
    this.attributes.clear(); // spec §6.6: and wipes this user's attributes
    if (conn?.isOpen) {
      try {
        await conn.request("logout", {}, REQUEST_TIMEOUT_MS, 1);
      } catch {
        // Logging out locally is what matters; the server ends the session anyway.
      }
      conn.close(1000);
    }
    this.invitations.sessionOver(); // protocol §3.21: they end with the session
    this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
  }

  /** A logged-in connection closed without our logout (protocol §5). */
  private onClose(conn: Connection, code: number): void {
    if (conn !== this.conn) return; // a login attempt's connection: its login() handles it
    this.conn = null;
    const reason = ABORT_REASONS[code];
    if (reason !== undefined) {
      this.endLocally(ConnectionState.ABORTED, reason);
      if (code === 4002) this.fire("TokenExpired"); // spec §1.3
    } else if (RECONNECT_CODES.has(code)) {
      // Protocol §3.2: the session waits for a resume; its channels are kept for it.
      if (this.state !== ConnectionState.RECONNECTING) {
        this.transition(ConnectionState.RECONNECTING, ConnectionChangeReason.INTERRUPTED);
      }
      void this.reconnect();
    } else if (code === 1000) {
      this.endLocally(ConnectionState.DISCONNECTED, ConnectionChangeReason.INTERRUPTED);
    } else {
      // Protocol §5: any other code aborts, as the Web SDK treats unknown kicks.
      this.endLocally(ConnectionState.ABORTED, ConnectionChangeReason.INTERRUPTED);
    }
  }

  /** Pushes (protocol §2.2), handled from the moment the WebSocket opens (protocol §2.3). */
  private onPush(frame: ServerFrame, conn: Connection): void {
    if (frame.t === "peer_msg") this.onPeerMessage(frame, conn);
    else if (frame.t === "peer_status") {
      this.presence.onPush(frame.statuses as Record<string, "ONLINE" | "UNREACHABLE" | "OFFLINE">);
    } else if (frame.t === "token_expiring") this.fire("TokenPrivilegeWillExpire"); // spec §1.3
    else if (INVITATION_PUSHES.has(frame.t)) this.invitations.onPush(frame, conn); // protocol §3.21
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
    if (state !== ConnectionState.RECONNECTING) {
      for (const waiter of [...this.waiters]) waiter();
    }
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
