/**
 * Presence (spec §1.2, §6.9; protocol §3.13–§3.16): who is online, following peers' online
 * state (`PeersOnlineStatusChanged`), and channel member counts without joining.
 * The SDK checks what the Web SDK checks before sending (ids, counts, call frequency), with
 * the same codes, and remembers each followed peer's last state: to report only changes, and
 * to follow them again after a reconnection that made a new session (protocol §3.14).
 */

import { PeerOnlineState, PeerSubscriptionOption } from "./enums";
import { rtmError } from "./errors";
import { isValidUserId, type RateLimit, type RateWindows } from "./limits";

/** Spec §5.5: 256 peers per query, 512 followed, 32 channels per member count. */
const MAX_QUERY_PEERS = 256;
const MAX_SUBSCRIBED_PEERS = 512;
const MAX_MEMBER_COUNT_CHANNELS = 32;
/** Spec §5.4 (protocol §3.20); subscribe and unsubscribe share one budget. */
const QUERY_ONLINE_RATE: RateLimit = { calls: 10, windowMs: 5_000 };
const SUBSCRIBE_RATE: RateLimit = { calls: 10, windowMs: 5_000 };
const QUERY_SUBSCRIPTIONS_RATE: RateLimit = { calls: 10, windowMs: 5_000 };
const MEMBER_COUNT_RATE: RateLimit = { calls: 1, windowMs: 1_000 };

/** Spec §4.9 `QueryPeersOnlineStatusError`. */
export const QueryPeersOnlineStatusError = {
  INVALID_ARGUMENT: 2,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;
/** Spec §4.10 `PeerSubscriptionStatusError`. */
export const PeerSubscriptionStatusError = {
  INVALID_ARGUMENT: 2,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  OVERFLOW: 6,
  USER_NOT_LOGGED_IN: 102,
} as const;
/** Spec §4.11 `QueryPeersBySubscriptionOptionError` (2 is both TIMEOUT and "unknown option"). */
export const QueryPeersBySubscriptionOptionError = {
  TIMEOUT: 2,
  TOO_OFTEN: 3,
  USER_NOT_LOGGED_IN: 102,
} as const;
/** Spec §4.13 `GetChannelMemberCountError`. */
export const GetChannelMemberCountError = {
  INVALID_ARGUMENT: 2,
  TOO_OFTEN: 3,
  TIMEOUT: 4,
  EXCEED_LIMIT: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;

/** What presence (and attributes) need of the client. */
export interface SessionLink {
  /** Logged in: CONNECTED, or RECONNECTING with the session kept. */
  loggedIn(): boolean;
  /**
   * Send a request once the link is up (waiting out a reconnection within the request
   * timeout, spec §1.2), rejecting with `notLoggedIn` or `timeout` as the SDK's own codes.
   */
  request(op: string, fields: Record<string, unknown>, notLoggedIn: number, timeout: number): Promise<unknown>;
  readonly rates: RateWindows;
  fire(event: string, ...args: unknown[]): void;
}

type Statuses = Record<string, PeerOnlineState>;

export class Presence {
  /** Followed peers and their last known state (null until the first push). */
  private readonly following = new Map<string, PeerOnlineState | null>();

  constructor(private readonly link: SessionLink) {}

  /** `queryPeersOnlineStatus` (spec §1.2): `{peerId: boolean}`; codes 102, 2, 5, 4. */
  async query(peerIds: string[]): Promise<Record<string, boolean>> {
    const E = QueryPeersOnlineStatusError;
    this.loggedIn(E.USER_NOT_LOGGED_IN);
    const problem = peerIdsError(peerIds, MAX_QUERY_PEERS);
    if (problem !== null) throw invalid(E.INVALID_ARGUMENT, problem);
    this.within("query_online", QUERY_ONLINE_RATE, E.TOO_OFTEN, "over 10 calls in 5 s");
    const fields = { peers: peerIds };
    const result = await this.link.request("query_online", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    const online = { ...((result as { online?: Record<string, boolean> } | null)?.online ?? {}) };
    // Spec §1.2: a followed peer whose queried state differs is reported as a change too.
    const changed: Statuses = {};
    for (const [uid, up] of Object.entries(online)) {
      if (this.following.has(uid)) changed[uid] = up ? "ONLINE" : "OFFLINE";
    }
    this.onPush(changed);
    return online;
  }

  /** `subscribePeersOnlineStatus`: codes 102, 2, 6 (over 512 in all), 5, 4. */
  async subscribe(peerIds: string[]): Promise<void> {
    const E = PeerSubscriptionStatusError;
    this.loggedIn(E.USER_NOT_LOGGED_IN);
    const problem = peerIdsError(peerIds, null); // the 512 limit is on the total, below
    if (problem !== null) throw invalid(E.INVALID_ARGUMENT, problem);
    const added = [...new Set(peerIds)].filter((uid) => !this.following.has(uid));
    if (this.following.size + added.length > MAX_SUBSCRIBED_PEERS) {
      throw rtmError(E.OVERFLOW, "RtmLimitExceededError", "over 512 subscribed peers");
    }
    this.within("subscribe", SUBSCRIBE_RATE, E.TOO_OFTEN, "over 10 calls in 5 s");
    // Pending at once (spec §1.2 counts existing + pending + new), and so that the snapshot
    // pushed right after the reply is heard.
    for (const uid of added) this.following.set(uid, null);
    try {
      await this.link.request("subscribe", { peers: peerIds }, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    } catch (error) {
      for (const uid of added) this.following.delete(uid);
      throw error;
    }
  }

  /** `unsubscribePeersOnlineStatus`: codes 102, 6 (over 512 ids), 2, 5, 4. */
  async unsubscribe(peerIds: string[]): Promise<void> {
    const E = PeerSubscriptionStatusError;
    this.loggedIn(E.USER_NOT_LOGGED_IN);
    if (Array.isArray(peerIds) && peerIds.length > MAX_SUBSCRIBED_PEERS) {
      throw rtmError(E.OVERFLOW, "RtmLimitExceededError", "over 512 ids in one call");
    }
    const problem = peerIdsError(peerIds, MAX_SUBSCRIBED_PEERS);
    if (problem !== null) throw invalid(E.INVALID_ARGUMENT, problem);
    this.within("subscribe", SUBSCRIBE_RATE, E.TOO_OFTEN, "over 10 calls in 5 s");
    await this.link.request("unsubscribe", { peers: peerIds }, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    for (const uid of peerIds) this.following.delete(uid);
  }

  /** `queryPeersBySubscriptionOption`: the followed peers, sorted; codes 102, 2, 3. */
  async queryByOption(option: string): Promise<string[]> {
    const E = QueryPeersBySubscriptionOptionError;
    this.loggedIn(E.USER_NOT_LOGGED_IN);
    if (option !== PeerSubscriptionOption.ONLINE_STATUS) {
      // Spec §1.2: "other option → code 2" (protocol §3.15: named as Agora's TIMEOUT).
      throw rtmError(E.TIMEOUT, "RtmTimeoutError", "unknown option");
    }
    this.within("query_subscriptions", QUERY_SUBSCRIPTIONS_RATE, E.TOO_OFTEN, "over 10 in 5 s");
    const fields = { option };
    const result = await this.link.request("query_subscriptions", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return [...((result as { peers?: string[] } | null)?.peers ?? [])];
  }

  /** `getChannelMemberCount` (spec §1.2, §6.8): `{channelId: n}`; codes 102, 5, 2, 3, 4. */
  async memberCounts(channelIds: string[]): Promise<Record<string, number>> {
    const E = GetChannelMemberCountError;
    this.loggedIn(E.USER_NOT_LOGGED_IN);
    if (Array.isArray(channelIds) && channelIds.length > MAX_MEMBER_COUNT_CHANNELS) {
      throw rtmError(E.EXCEED_LIMIT, "RtmLimitExceededError", "over 32 channels");
    }
    if (!Array.isArray(channelIds) || channelIds.length === 0 || !channelIds.every(isValidUserId)) {
      throw invalid(E.INVALID_ARGUMENT, "1 to 32 channel ids");
    }
    this.within("member_counts", MEMBER_COUNT_RATE, E.TOO_OFTEN, "over 1 call a second");
    const fields = { channels: channelIds };
    const result = await this.link.request("member_counts", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return { ...((result as { counts?: Record<string, number> } | null)?.counts ?? {}) };
  }

  /**
   * A `peer_status` push (protocol §3.14): record and report followed peers' new states.
   * Only changes are reported, so the snapshot of a re-subscription after a reconnection
   * tells the app what it missed, not what it knew (spec §1.3).
   */
  onPush(statuses: Statuses): void {
    const changed: Statuses = {};
    let any = false;
    for (const [uid, state] of Object.entries(statuses ?? {})) {
      if (this.following.has(uid) && this.following.get(uid) !== state) {
        this.following.set(uid, state);
        changed[uid] = state;
        any = true;
      }
    }
    if (any) this.link.fire("PeersOnlineStatusChanged", changed);
  }

  /**
   * A new session after a lost one follows nobody (protocol §3.14): follow the same peers
   * again, without the call-frequency budget, before CONNECTED is announced.
   */
  async restore(send: (op: string, fields: Record<string, unknown>) => Promise<unknown>): Promise<void> {
    if (this.following.size === 0) return;
    try {
      await send("subscribe", { peers: [...this.following.keys()] });
    } catch {
      // The link dropped again (the next reconnection retries) or the server refused.
    }
  }

  /** The session is over (logout, kick): following ends with it (spec §6.9). */
  clear(): void {
    this.following.clear();
  }

  private loggedIn(code: number): void {
    if (!this.link.loggedIn()) throw rtmError(code, "RtmInvalidStatusError", "not logged in");
  }

  private within(key: string, limit: RateLimit, code: number, message: string): void {
    if (this.link.rates.within([key, limit]) >= 0) {
      throw rtmError(code, "RtmLimitExceededError", message);
    }
  }
}

function invalid(code: number, message: string) {
  return rtmError(code, "RtmInvalidArgumentError", message);
}

/** Why `peers` is not a list of 1 (to `most`, if given) valid user ids, or null (spec §5.1). */
function peerIdsError(peers: unknown, most: number | null): string | null {
  if (!Array.isArray(peers) || peers.length === 0) return "a non-empty list of peer ids";
  if (most !== null && peers.length > most) return `at most ${most} peer ids`;
  if (!peers.every(isValidUserId)) return "invalid peer id";
  return null;
}
