/**
 * User and channel attributes (spec §1.2, §1.7, §6.6, §6.7; protocol §3.17, §3.18).
 * Limits are checked before sending, on the merged result where the operation merges
 * (spec §5.3), with the server's codes (`AttributeOperationError`, spec §4.12). The user
 * attributes last written are kept, to be written again on a new session after a lost one
 * (protocol §3.17, §9), as the Python SDK does.
 */

import { attributesFromWire, type ChannelAttributeProperties } from "./channel";
import { rtmError } from "./errors";
import { isValidUserId, utf8Size, type RateLimit } from "./limits";
import type { SessionLink } from "./presence";

/** Spec §4.12 `AttributeOperationError` codes the SDK raises itself. */
export const AttributeOperationError = {
  INVALID_ARGUMENT: 3,
  SIZE_OVERFLOW: 4,
  TOO_OFTEN: 5,
  TIMEOUT: 7,
  USER_NOT_LOGGED_IN: 102,
} as const;
const E = AttributeOperationError;

/** Spec §5.3: pairs, key and value sizes, totals (bytes of UTF-8). */
const MAX_PAIRS = 32;
const MAX_KEY_BYTES = 32;
const MAX_VALUE_BYTES = 8 * 1024;
const MAX_USER_TOTAL = 16 * 1024;
const MAX_CHANNEL_TOTAL = 32 * 1024;
/** Spec §5.4 (protocol §3.20): the four writes of each kind share one budget. */
const USER_WRITE_RATE: RateLimit = { calls: 10, windowMs: 5_000 };
const USER_READ_RATE: RateLimit = { calls: 40, windowMs: 5_000 };
const CHANNEL_WRITE_RATE: RateLimit = { calls: 10, windowMs: 5_000 };
const CHANNEL_READ_RATE: RateLimit = { calls: 10, windowMs: 5_000 };

/** Spec §1.7: the options of a channel-attribute write, for that call only. */
export interface ChannelAttributeOptions {
  enableNotificationToChannelMembers?: boolean;
}

type Attrs = Record<string, string>;

export class Attributes {
  /** The user attributes last written successfully. */
  private local: Attrs = {};

  constructor(private readonly link: SessionLink) {}

  /** `setLocalUserAttributes`: replace this user's attributes. */
  async setLocal(attrs: Attrs): Promise<void> {
    this.loggedIn();
    checkMap(attrs, MAX_USER_TOTAL);
    await this.writeLocal("set_user_attrs", { attrs: { ...attrs } }, { ...attrs });
  }

  /** `addOrUpdateLocalUserAttributes`: add or replace keys, keep the others. */
  async updateLocal(attrs: Attrs): Promise<void> {
    this.loggedIn();
    checkMap(attrs, MAX_USER_TOTAL);
    const merged = { ...this.local, ...attrs };
    const problem = mapError(merged, MAX_USER_TOTAL);
    if (problem !== null) throw rtmError(E.SIZE_OVERFLOW, "RtmLimitExceededError", problem[1]);
    await this.writeLocal("update_user_attrs", { attrs: { ...attrs } }, merged);
  }

  /** `deleteLocalUserAttributesByKeys`. */
  async deleteLocal(keys: string[]): Promise<void> {
    this.loggedIn();
    checkKeys(keys);
    const gone = new Set(keys);
    const kept = Object.fromEntries(Object.entries(this.local).filter(([k]) => !gone.has(k)));
    await this.writeLocal("delete_user_attrs", { keys: [...keys] }, kept);
  }

  /** `clearLocalUserAttributes`. */
  async clearLocal(): Promise<void> {
    this.loggedIn();
    await this.writeLocal("clear_user_attrs", {}, {});
  }

  /** `getUserAttributes` / `getUserAttributesByKeys`: an online user's; 6 when offline. */
  async getUser(uid: string, keys?: string[]): Promise<Attrs> {
    this.loggedIn();
    if (!isValidUserId(uid)) throw invalid("invalid user id");
    if (keys !== undefined) checkKeys(keys);
    this.within("get_user_attrs", USER_READ_RATE);
    const fields = keys === undefined ? { uid } : { uid, keys: [...keys] };
    const result = await this.link.request("get_user_attrs", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return { ...((result as { attrs?: Attrs } | null)?.attrs ?? {}) };
  }

  /** Set, update (`attrs`), delete (`keys`) or clear a channel's attributes. */
  async writeChannel(
    op: "set_channel_attrs" | "update_channel_attrs" | "delete_channel_attrs" | "clear_channel_attrs",
    channelId: string,
    what: { attrs?: Attrs; keys?: string[] },
    options: ChannelAttributeOptions | undefined,
  ): Promise<void> {
    this.loggedIn();
    if (!isValidUserId(channelId)) throw invalid("invalid channel id");
    const fields: Record<string, unknown> = { channel: channelId };
    if (op === "set_channel_attrs" || op === "update_channel_attrs") {
      checkMap(what.attrs, MAX_CHANNEL_TOTAL);
      fields.attrs = { ...what.attrs };
    } else if (op === "delete_channel_attrs") {
      checkKeys(what.keys);
      fields.keys = [...(what.keys as string[])];
    }
    this.within("channel_attribute_writes", CHANNEL_WRITE_RATE);
    fields.notify = options?.enableNotificationToChannelMembers === true;
    await this.link.request(op, fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
  }

  /** `getChannelAttributes` / `getChannelAttributesByKeys`; no membership needed. */
  async getChannel(
    channelId: string,
    keys?: string[],
  ): Promise<Record<string, ChannelAttributeProperties>> {
    this.loggedIn();
    if (!isValidUserId(channelId)) throw invalid("invalid channel id");
    if (keys !== undefined) checkKeys(keys);
    this.within("get_channel_attrs", CHANNEL_READ_RATE);
    const fields = keys === undefined ? { channel: channelId } : { channel: channelId, keys: [...keys] };
    const result = await this.link.request("get_channel_attrs", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return attributesFromWire((result as { attrs?: unknown } | null)?.attrs);
  }

  /** A new session after a lost one starts with none: write them again (protocol §3.17). */
  async restore(send: (op: string, fields: Record<string, unknown>) => Promise<unknown>): Promise<void> {
    if (Object.keys(this.local).length === 0) return;
    try {
      await send("set_user_attrs", { attrs: { ...this.local } });
    } catch {
      // The link dropped again (the next reconnection retries) or the server refused.
    }
  }

  /** The session is over: its user attributes are gone with it (protocol §3.17). */
  clear(): void {
    this.local = {};
  }

  private async writeLocal(op: string, fields: Record<string, unknown>, result: Attrs): Promise<void> {
    this.within("user_attribute_writes", USER_WRITE_RATE);
    await this.link.request(op, fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    this.local = result;
  }

  private loggedIn(): void {
    if (!this.link.loggedIn()) {
      throw rtmError(E.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in");
    }
  }

  private within(key: string, limit: RateLimit): void {
    if (this.link.rates.within([key, limit]) >= 0) {
      throw rtmError(E.TOO_OFTEN, "RtmLimitExceededError", "called too often");
    }
  }
}

function invalid(message: string) {
  return rtmError(E.INVALID_ARGUMENT, "RtmInvalidArgumentError", message);
}

/** Spec §5.3, as the server checks (protocol §3.17): code 3, or 4 for what is too big. */
function checkMap(attrs: unknown, totalLimit: number): void {
  if (isPlainObject(attrs) && Object.keys(attrs).length === 0) throw invalid("no attributes given");
  const problem = mapError(attrs, totalLimit);
  if (problem === null) return;
  if (problem[0]) throw rtmError(E.SIZE_OVERFLOW, "RtmLimitExceededError", problem[1]);
  throw invalid(problem[1]);
}

/** `[overflow, why]` for a map that breaks spec §5.3, or null. */
function mapError(attrs: unknown, totalLimit: number): [boolean, string] | null {
  if (!isPlainObject(attrs)) return [false, "attributes are a map of strings to strings"];
  let total = 0;
  const entries = Object.entries(attrs);
  for (const [key, value] of entries) {
    if (typeof value !== "string") return [false, "attribute keys and values are strings"];
    const keySize = utf8Size(key);
    const valueSize = utf8Size(value);
    if (keySize === 0 || keySize > MAX_KEY_BYTES) return [false, "an attribute key is 1 to 32 bytes"];
    if (valueSize === 0) return [false, "an attribute value may not be empty"];
    if (valueSize > MAX_VALUE_BYTES) return [true, "an attribute value is at most 8 KB"];
    total += keySize + valueSize;
  }
  if (entries.length > MAX_PAIRS) return [true, "at most 32 attributes"];
  if (total > totalLimit) return [true, `attributes total at most ${totalLimit / 1024} KB`];
  return null;
}

/** The keys of a delete or a read by keys: 1 to 32 keys of 1 to 32 bytes (code 3). */
function checkKeys(keys: unknown): void {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_PAIRS) {
    throw invalid("1 to 32 keys");
  }
  for (const key of keys) {
    if (typeof key !== "string" || utf8Size(key) === 0 || utf8Size(key) > MAX_KEY_BYTES) {
      throw invalid("an attribute key is 1 to 32 bytes");
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
