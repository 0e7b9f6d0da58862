/**
 * Messages as the app sees them (spec §1.6) and as the wire carries them (protocol §3.3):
 * TEXT and RAW here, FILE and IMAGE (≤ 1.4.x media) in media-messages.ts.
 */

import { fromBase64, toBase64 } from "./base64";
import { MessageType } from "./enums";
import { PeerMessageError, rtmError, type RtmError } from "./errors";
import { endCallError, isTextTooBig, MAX_MESSAGE_BYTES, utf8Size } from "./limits";
import {
  mediaFromWire,
  mediaToWire,
  rebuildMediaMessage,
  type RtmFileMessage,
  type RtmImageMessage,
  type WireMedia,
} from "./media-messages";

export { fromBase64, toBase64 };
export type { RtmFileMessage, RtmImageMessage };

export interface RtmTextMessage {
  text: string;
  messageType?: "TEXT";
}

export interface RtmRawMessage {
  rawMessage: Uint8Array;
  description?: string;
  messageType?: "RAW";
}

export type RtmMessage = RtmTextMessage | RtmRawMessage | RtmFileMessage | RtmImageMessage;

/** What comes with a received message (spec §1.6). */
export interface ReceivedMessageProperties {
  serverReceivedTs: number;
  isOfflineMessage: boolean;
}

/** `sendMessageToPeer` options (spec §1.6, ≤ 1.4.x). */
export interface SendMessageOptions {
  enableOfflineMessaging?: boolean;
  enableHistoricalMessaging?: boolean;
}

export interface PeerMessageSendResult {
  hasPeerReceived: boolean;
}

/** The protocol's `Message` object (protocol §3.3); a missing `type` means TEXT. */
export interface WireMessage {
  type?: string;
  text?: string;
  raw?: string | null;
  description?: string;
  media?: WireMedia | null;
}

/**
 * Turn an app's message into the wire's, or throw `code` (7 for a peer message, spec §4.4; 4
 * for a channel message, §4.7). Spec §1.6: the type is inferred when `messageType` is
 * omitted; §5.2: 32 KB; protocol §3.4: the end-call form, a rule of peer messages only.
 * A Promise only for a FILE or IMAGE message whose thumbnail must be read first
 * (media-messages.ts): callers await it only then, so that sends keep their order.
 */
export function toWire(
  message: unknown,
  code: number = PeerMessageError.INVALID_MESSAGE,
  peer = true,
): WireMessage | Promise<WireMessage> {
  const invalid = (text: string): RtmError => rtmError(code, "RtmInvalidArgumentError", text);
  if (typeof message !== "object" || message === null) {
    throw invalid("the message must be an object");
  }
  const m = message as Record<string, unknown>;
  let type = m.messageType;
  if (type === undefined) {
    if (m.rawMessage instanceof Uint8Array) type = MessageType.RAW;
    else if (typeof m.text === "string") type = MessageType.TEXT;
  }
  if (type === MessageType.TEXT) {
    if (typeof m.text !== "string") throw invalid("a TEXT message needs a text string");
    if (m.rawMessage !== undefined || m.description !== undefined) {
      throw invalid("a TEXT message carries text only");
    }
    if (isTextTooBig(m.text)) throw invalid("text over 32 KB");
    const problem = peer ? endCallError(m.text) : null;
    if (problem !== null) throw invalid(problem);
    return { text: m.text };
  }
  if (type === MessageType.RAW) {
    const description = m.description ?? "";
    const raw = m.rawMessage;
    if (!(raw instanceof Uint8Array) || typeof description !== "string" || m.text !== undefined) {
      throw invalid("a RAW message carries a rawMessage Uint8Array and an optional description");
    }
    if (raw.byteLength + utf8Size(description) > MAX_MESSAGE_BYTES) {
      throw invalid("raw payload and description over 32 KB");
    }
    const wire: WireMessage = { type: "RAW", raw: toBase64(raw) };
    if (description) wire.description = description;
    return wire;
  }
  if (type === MessageType.FILE || type === MessageType.IMAGE) return mediaToWire(m, type, invalid);
  throw invalid(`unsupported message type: ${String(type)}`);
}

/**
 * `createMessage` (spec §1.2): the identity in 1.5.1; a FILE or IMAGE message (≤ 1.4.x) is
 * rebuilt from a known `mediaId` with its other fields at their defaults.
 */
export function createMessage<T>(message: T): T {
  if (typeof message !== "object" || message === null) return message;
  const m = message as Record<string, unknown>;
  if (m.messageType !== MessageType.FILE && m.messageType !== MessageType.IMAGE) return message;
  return rebuildMediaMessage(m) as unknown as T;
}

/** The Web shape of a received message (spec §1.6): plain objects with `messageType`. */
export function fromWire(msg: WireMessage): RtmMessage & { messageType: string } {
  if (msg.type === MessageType.RAW) {
    const rawMessage = fromBase64(msg.raw ?? "");
    return { rawMessage, description: msg.description ?? "", messageType: "RAW" };
  }
  if (msg.type === undefined || msg.type === MessageType.TEXT) {
    return { text: msg.text ?? "", messageType: "TEXT" };
  }
  if ((msg.type === MessageType.FILE || msg.type === MessageType.IMAGE) && msg.media) {
    return mediaFromWire(msg.type, msg.media, msg.description ?? "");
  }
  // Protocol §3.3 allows no other type; the server never sends one.
  return { text: msg.text ?? "", messageType: "TEXT" };
}
