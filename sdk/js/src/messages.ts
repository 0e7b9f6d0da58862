/**
 * Messages as the app sees them (spec §1.6) and as the wire carries them (protocol §3.3).
 * This increment sends and receives TEXT and RAW; FILE and IMAGE (≤ 1.4.x media) come later.
 */

import { MessageType } from "./enums";
import { PeerMessageError, rtmError, type RtmError } from "./errors";
import { endCallError, isTextTooBig, MAX_MESSAGE_BYTES, utf8Size } from "./limits";

export interface RtmTextMessage {
  text: string;
  messageType?: "TEXT";
}

export interface RtmRawMessage {
  rawMessage: Uint8Array;
  description?: string;
  messageType?: "RAW";
}

export type RtmMessage = RtmTextMessage | RtmRawMessage;

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
}

/**
 * Turn an app's message into the wire's, or throw `code` (7 for a peer message, spec §4.4; 4
 * for a channel message, §4.7). Spec §1.6: the type is inferred when `messageType` is
 * omitted; §5.2: 32 KB; protocol §3.4: the end-call form, a rule of peer messages only.
 */
export function toWire(
  message: unknown,
  code: number = PeerMessageError.INVALID_MESSAGE,
  peer = true,
): WireMessage {
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
  throw invalid(`unsupported message type: ${String(type)}`);
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
  // FILE / IMAGE arrive in a later increment; hand over what there is, typed as sent.
  return { ...msg, messageType: msg.type } as unknown as RtmMessage & { messageType: string };
}

/** RFC 4648 base64 with padding (protocol §3.3), in chunks so `apply` stays small. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 0x8000)));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
