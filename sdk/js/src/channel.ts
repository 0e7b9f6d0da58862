/**
 * `RtmChannel` (spec §1.4): one channel of a client, made by `client.createChannel(id)`.
 * Creating is not joining. Wire: protocol §3.7–§3.11; checks made before sending, with the
 * codes of spec §4.5–§4.8.
 */

import type { Connection, ServerFrame } from "./connection";
import { EventEmitter } from "./emitter";
import {
  ChannelMessageError,
  GetMembersError,
  JoinChannelError,
  LeaveChannelError,
  rtmError,
  type RtmError,
} from "./errors";
import {
  GET_MEMBERS_RATE,
  JOIN_RATE,
  JOIN_SAME_CHANNEL_RATE,
  MAX_JOINED_CHANNELS,
  type RateWindows,
} from "./limits";
import { fromWire, toWire, type SendMessageOptions, type WireMessage } from "./messages";

/** Spec §4.17: joins and channel messages time out after 10 s, `getMembers` after 5 s. */
const REQUEST_TIMEOUT_MS = 10_000;
const GET_MEMBERS_TIMEOUT_MS = 5_000;

/** What a channel needs of its client; kept off `RtmClient`'s public face. */
export interface ChannelHost {
  /** The logged-in connection, or null when not logged in (or logging out). */
  connection(): Connection | null;
  /** The channels joined or being joined, by id: where the client routes channel pushes. */
  readonly channels: Map<string, RtmChannel>;
  readonly rates: RateWindows;
  /**
   * While RECONNECTING: the logged-in connection once reconnected, or null when the
   * reconnection fails or takes longer than `timeoutMs` (spec §1.2).
   */
  whenReconnected(timeoutMs: number): Promise<Connection | null>;
  /** True while the client is RECONNECTING (and not logging out). */
  reconnecting(): boolean;
  /** Take one message from the 180 / 3 s budget shared with peer messages (spec §5.4). */
  takeMessageBudget(): boolean;
  nextMid(): string;
  /** Emit an event without letting a throwing listener break the SDK (see client.ts). */
  fire(target: EventEmitter, event: string, ...args: unknown[]): void;
}

const enum Membership {
  NONE,
  JOINING,
  JOINED,
}

export class RtmChannel extends EventEmitter {
  private membership = Membership.NONE;
  /** Identifies the join in flight, so that a leave() during it is noticed (spec §1.4). */
  private attempt: object | null = null;

  constructor(
    readonly channelId: string,
    private readonly host: ChannelHost,
  ) {
    super();
  }

  /**
   * Join the channel (spec §1.4 `join`, protocol §3.7). Codes (spec §4.5): 102 not logged
   * in, 6 this object joined or joining, 202 another object of this id joined, 5 already in
   * 20 channels, 7 over 50 joins in 3 s, 8 this channel joined twice in 5 s, 201 leave()
   * called meanwhile, 4 no answer in 10 s.
   */
  async join(): Promise<void> {
    const host = this.host;
    const conn = host.connection();
    if (conn === null) throw status(JoinChannelError.USER_NOT_LOGGED_IN, "not logged in");
    if (this.membership !== Membership.NONE) {
      throw status(JoinChannelError.ALREADY_JOINED, "already joined or joining");
    }
    const other = host.channels.get(this.channelId);
    if (other !== undefined && other !== this) {
      const code = JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID;
      throw status(code, "another RtmChannel of this id has joined");
    }
    if (host.channels.size >= MAX_JOINED_CHANNELS) {
      throw limit(JoinChannelError.EXCEED_LIMIT, "already in 20 channels");
    }
    const refused = host.rates.within(
      ["join", JOIN_RATE],
      [`join:${this.channelId}`, JOIN_SAME_CHANNEL_RATE],
    );
    if (refused === 0) throw limit(JoinChannelError.TOO_OFTEN, "more than 50 joins in 3 s");
    if (refused === 1) {
      const code = JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN;
      throw limit(code, "joined this channel twice in the last 5 s");
    }
    // Registered before asking: the member count comes right after the reply (protocol §3.7).
    const attempt = {};
    this.attempt = attempt;
    this.membership = Membership.JOINING;
    host.channels.set(this.channelId, this);
    try {
      const fields = { channel: this.channelId };
      await conn.request("join", fields, REQUEST_TIMEOUT_MS, JoinChannelError.TIMEOUT);
    } catch (error) {
      if (this.attempt === attempt) this.forget();
      throw error;
    }
    if (this.attempt !== attempt) {
      // leave() ran meanwhile (and maybe a newer join(), which owns the outcome now).
      throw status(JoinChannelError.ABORTED_BY_LEAVE, "leave() called during join");
    }
    this.attempt = null;
    this.membership = Membership.JOINED;
  }

  /**
   * Leave the channel (spec §1.4 `leave`, protocol §3.8). Codes (spec §4.6): 102 not logged
   * in, 3 not joined, 1 no answer in 10 s. A leave() during join() makes that join() reject
   * with 201.
   */
  async leave(): Promise<void> {
    const conn = this.host.connection();
    if (conn === null) throw status(LeaveChannelError.USER_NOT_LOGGED_IN, "not logged in");
    if (this.membership === Membership.NONE) {
      throw status(LeaveChannelError.NOT_IN_CHANNEL, "not in this channel");
    }
    const joining = this.membership === Membership.JOINING;
    this.forget();
    // Sent now, so that it reaches the server before any later join of this channel.
    const fields = { channel: this.channelId };
    const answer = conn.request("leave", fields, REQUEST_TIMEOUT_MS, LeaveChannelError.FAILURE);
    if (joining) {
      // Protocol §3.7: the server accepts it and answers the join with a plain reply, which
      // join() turns into 201; the leave's own answer does not matter.
      answer.catch(() => undefined);
      return;
    }
    await answer;
  }

  /**
   * Send a message to the other members (spec §1.4 `sendMessage`, §6.4; protocol §3.9).
   * Codes (spec §4.7): 102 not logged in, 5 not joined, 4 not a valid message, 3 over 180
   * peer and channel messages in 3 s, 2 no answer in 10 s. `enableOfflineMessaging` does not
   * apply to channels.
   */
  async sendMessage(message: unknown, options?: SendMessageOptions): Promise<void> {
    const host = this.host;
    const started = Date.now();
    let conn = host.connection();
    if (conn === null && host.reconnecting() && this.membership === Membership.JOINED) {
      // Spec §1.2: a message sent while reconnecting waits for the link, within its timeout.
      conn = await host.whenReconnected(REQUEST_TIMEOUT_MS);
      if (conn === null && host.reconnecting()) {
        throw rtmError(ChannelMessageError.TIMEOUT, "RtmTimeoutError", "not reconnected in time");
      }
    }
    if (conn === null) throw status(ChannelMessageError.USER_NOT_LOGGED_IN, "not logged in");
    if (this.membership !== Membership.JOINED) {
      throw status(ChannelMessageError.NOT_IN_CHANNEL, "not in this channel");
    }
    const wire = toWire(message, ChannelMessageError.INVALID_MESSAGE, false);
    const msg = wire instanceof Promise ? await wire : wire; // media-messages.ts: a thumbnail
    if (!host.takeMessageBudget()) {
      throw limit(ChannelMessageError.TOO_OFTEN, "over 180 messages in 3 s");
    }
    const fields: Record<string, unknown> = { channel: this.channelId, mid: host.nextMid(), msg };
    if (options?.enableHistoricalMessaging) fields.history = true;
    const wait = Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
    await conn.request("channel_msg", fields, wait, ChannelMessageError.TIMEOUT);
  }

  /**
   * The ids of up to 512 members, this user included (spec §1.4 `getMembers`, §6.8; protocol
   * §3.10). Codes (spec §4.8): 102 not logged in, 5 not joined, 4 over 5 calls in 2 s, 3 no
   * answer in 5 s.
   */
  async getMembers(): Promise<string[]> {
    const host = this.host;
    const conn = host.connection();
    if (conn === null) throw status(GetMembersError.USER_NOT_LOGGED_IN, "not logged in");
    if (this.membership !== Membership.JOINED) {
      throw status(GetMembersError.NOT_IN_CHANNEL, "not in this channel");
    }
    if (host.rates.within(["get_members", GET_MEMBERS_RATE]) >= 0) {
      throw limit(GetMembersError.TOO_OFTEN, "over 5 calls in 2 s");
    }
    const fields = { channel: this.channelId };
    const timeoutCode = GetMembersError.TIMEOUT;
    const result = await conn.request("get_members", fields, GET_MEMBERS_TIMEOUT_MS, timeoutCode);
    const members = (result as { members?: unknown } | undefined)?.members;
    return Array.isArray(members) ? members.map(String) : [];
  }

  /** No longer joined nor joining: a leave(), a failed join, or the end of the session. */
  forget(): void {
    this.membership = Membership.NONE;
    this.attempt = null;
    if (this.host.channels.get(this.channelId) === this) this.host.channels.delete(this.channelId);
  }

  /** A channel push routed here by the client (protocol §3.11). */
  onPush(frame: ServerFrame): void {
    const fire = (event: string, ...args: unknown[]) => this.host.fire(this, event, ...args);
    switch (frame.t) {
      case "channel_msg":
        fire("ChannelMessage", fromWire((frame.msg ?? {}) as WireMessage), String(frame.from), {
          serverReceivedTs: typeof frame.ts === "number" ? frame.ts : 0,
        });
        break;
      case "member_joined":
        fire("MemberJoined", String(frame.uid));
        break;
      case "member_left":
        fire("MemberLeft", String(frame.uid));
        break;
      case "member_count":
        fire("MemberCountUpdated", Number(frame.count));
        break;
      case "channel_attrs":
        fire("AttributesUpdated", attributesFromWire(frame.attrs));
        break;
    }
  }
}

/** The channel pushes (protocol §3.11), each naming its `channel`. */
export const CHANNEL_PUSHES = new Set([
  "channel_msg",
  "member_joined",
  "member_left",
  "member_count",
  "channel_attrs",
]);

/** Spec §1.7 `ChannelAttributes`: `{key: {value, lastUpdateUserId, lastUpdateTs}}`. */
export interface ChannelAttributeProperties {
  value: string;
  lastUpdateUserId: string;
  lastUpdateTs: number;
}

/** Protocol §3.18's `{key: {value, user, ts}}` as the Web SDK shows it. */
export function attributesFromWire(attrs: unknown): Record<string, ChannelAttributeProperties> {
  const result: Record<string, ChannelAttributeProperties> = {};
  if (typeof attrs !== "object" || attrs === null) return result;
  for (const [key, a] of Object.entries(attrs as Record<string, Record<string, unknown>>)) {
    result[key] = {
      value: String(a?.value ?? ""),
      lastUpdateUserId: String(a?.user ?? ""),
      lastUpdateTs: Number(a?.ts ?? 0),
    };
  }
  return result;
}

function status(code: number, message: string): RtmError {
  return rtmError(code, "RtmInvalidStatusError", message);
}

function limit(code: number, message: string): RtmError {
  return rtmError(code, "RtmLimitExceededError", message);
}
