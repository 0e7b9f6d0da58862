/**
 * Peer messages (spec §1.2 `sendMessageToPeer`, §6.1, §6.5; protocol §3.4, §3.5): sending,
 * with the `mid`s and the budget of 180 messages in 3 s that channel messages share (spec
 * §5.4); receiving, with redeliveries dropped and every push acknowledged.
 */

import type { Connection, ServerFrame } from "./connection";
import { PeerMessageError, rtmError } from "./errors";
import { isValidUserId } from "./limits";
import {
  fromWire,
  toWire,
  type PeerMessageSendResult,
  type RtmMessage,
  type SendMessageOptions,
  type WireMessage,
} from "./messages";
import { remainingMs } from "./session-state";

/** Spec §5.4: 180 messages per 3 s, peer and channel messages together. */
const MESSAGE_BUDGET = 180;
const MESSAGE_WINDOW_MS = 3_000;
/** How many (sender, mid) pairs are remembered to drop redeliveries (protocol §3.4). */
const SEEN_MESSAGES = 4096;

export class PeerMessages {
  private readonly midPrefix = randomHex(8);
  private midCounter = 0;
  private sendTimes: number[] = [];
  private readonly seen = new Set<string>();

  constructor(
    /** The logged-in connection, waiting out a reconnection (session-state.ts). */
    private readonly connected: (notLoggedIn: number, timeoutCode: number) => Promise<Connection>,
    private readonly fire: (event: string, ...args: unknown[]) => void,
  ) {}

  /**
   * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1; protocol §3.4). Resolves
   * `{hasPeerReceived}`: true once the peer's SDK acknowledged it; an offline peer is not an
   * error. Codes (spec §4.4): 6 bad peer id, 7 bad message, 102 not logged in, 5 over 180
   * messages in 3 s, 2 no answer.
   */
  async send(
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
    const timeoutCode = PeerMessageError.TIMEOUT;
    const conn = await this.connected(PeerMessageError.USER_NOT_LOGGED_IN, timeoutCode);
    if (!this.takeBudget()) {
      const code = PeerMessageError.TOO_OFTEN;
      throw rtmError(code, "RtmLimitExceededError", "over 180 messages in 3 s");
    }
    const fields: Record<string, unknown> = { to: peerId, mid: this.nextMid(), msg };
    if (options?.enableOfflineMessaging) fields.offline = true;
    if (options?.enableHistoricalMessaging) fields.history = true;
    const result = await conn.request("peer_msg", fields, remainingMs(started), timeoutCode);
    // Protocol §3.4: `received` is false for an offline peer, stored (`cached`) or not.
    return { hasPeerReceived: (result as { received?: boolean } | undefined)?.received === true };
  }

  /** Spec §5.4: take one message from the budget peer and channel messages share. */
  takeBudget(): boolean {
    const now = Date.now();
    this.sendTimes = this.sendTimes.filter((t) => now - t < MESSAGE_WINDOW_MS);
    if (this.sendTimes.length >= MESSAGE_BUDGET) return false;
    this.sendTimes.push(now);
    return true;
  }

  /** Protocol §3.4, §3.9: `mid` is unique per sender, across logins too (a random prefix). */
  nextMid(): string {
    return `${this.midPrefix}-${++this.midCounter}`;
  }

  /**
   * A peer message (protocol §3.5): hand it to the app, then acknowledge it — every push, even
   * a redelivery (same sender and `mid`, spec §6.5) that is not shown again. Acked on the
   * connection it came on, which may not be the session's yet right after a re-login.
   */
  onPush(frame: ServerFrame, conn: Connection): void {
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
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
