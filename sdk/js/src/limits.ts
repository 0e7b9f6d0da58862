/** Client-side checks, the same the server makes (spec §5.1, §5.2; protocol §3.1, §3.3). */

/** Spec §1.1: an App ID is 32 ASCII letters and digits. */
const APP_ID = /^[0-9A-Za-z]{32}$/;

/** Spec §5.1: the Web SDK's own uid / peer id / channel id expression (JS `\s`, ASCII `\w`). */
const USER_ID = /^[\s\w!#$%&()+,.:;<=>?@[\]^{|}~-]{1,64}$/;

/** Spec §5.2: a message's payload is at most 32 KB. */
export const MAX_MESSAGE_BYTES = 32 * 1024;

/** Spec §1.1, §1.5: the text prefix of a legacy end-call message. */
export const END_CALL_PREFIX = "AgoraRTMLegacyEndcallCompatibleMessagePrefix";

export function isValidAppId(appId: unknown): appId is string {
  return typeof appId === "string" && APP_ID.test(appId);
}

/** A uid, peer id or channel id (spec §5.1): the regex above, and never the string "null". */
export function isValidUserId(id: unknown): id is string {
  return typeof id === "string" && id !== "null" && USER_ID.test(id);
}

const encoder = new TextEncoder();

/** Size of `text` in UTF-8 bytes (spec §5.2 counts bytes, not characters). */
export function utf8Size(text: string): number {
  return encoder.encode(text).length;
}

/** Whether a text is over 32 KB of UTF-8 (spec §5.2). */
export function isTextTooBig(text: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most texts need no encoding to be measured.
  return text.length * 3 > MAX_MESSAGE_BYTES && utf8Size(text) > MAX_MESSAGE_BYTES;
}

/**
 * Why a TEXT peer message starting with the end-call prefix is malformed, or null (protocol
 * §3.4): exactly `<prefix>_<channelId>_<info>`, a valid channel id, an info without `_`.
 */
export function endCallError(text: string): string | null {
  if (!text.startsWith(END_CALL_PREFIX)) return null;
  const parts = text.split("_");
  if (parts.length === 3 && parts[0] === END_CALL_PREFIX && isValidUserId(parts[1])) return null;
  return "malformed end-call message: expected <prefix>_<channelId>_<info>";
}

/** Spec §5.5: a client joins at most 20 channels at once. */
export const MAX_JOINED_CHANNELS = 20;

/** A call-frequency limit (spec §5.4): at most `calls` in any `windowMs`. */
export interface RateLimit {
  calls: number;
  windowMs: number;
}

/** Spec §5.4: joins (any channel), joins of one channel, and `getMembers`. */
export const JOIN_RATE: RateLimit = { calls: 50, windowMs: 3_000 };
export const JOIN_SAME_CHANNEL_RATE: RateLimit = { calls: 2, windowMs: 5_000 };
/** Spec §5.4: `renewToken` at most twice a second. */
export const RENEW_TOKEN_RATE: RateLimit = { calls: 2, windowMs: 1_000 };
export const GET_MEMBERS_RATE: RateLimit = { calls: 5, windowMs: 2_000 };

/**
 * Sliding windows of call times, one per key, to refuse a call before it is sent as the
 * server would (spec §5.4; protocol §3.20).
 */
export class RateWindows {
  private readonly times = new Map<string, number[]>();

  /**
   * Check one call against `checks` (`[key, limit]` pairs). Returns the index of the first
   * limit that refuses it, or -1 when every limit allows it, in which case it is recorded in
   * each window.
   */
  within(...checks: [string, RateLimit][]): number {
    const now = Date.now();
    const kept: number[][] = [];
    for (let i = 0; i < checks.length; i++) {
      const [key, limit] = checks[i];
      const times = (this.times.get(key) ?? []).filter((t) => now - t < limit.windowMs);
      this.times.set(key, times);
      if (times.length >= limit.calls) return i;
      kept.push(times);
    }
    for (const times of kept) times.push(now);
    return -1;
  }
}
