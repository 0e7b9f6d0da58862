/**
 * FILE and IMAGE messages (spec §1.6, ≤ 1.4.x) as the app sees them and as the wire carries
 * them (protocol §3.3 `media`), and the MIME sniffing of spec §1.2 `downloadMedia`.
 *
 * A thumbnail is a `Blob` to the app and base64 bytes on the wire. Reading a Blob is
 * asynchronous, so the SDK remembers the bytes of every thumbnail it has read or made (an
 * upload's, a received message's, one given to `createMessage`): such a message is encoded
 * at once, like a TEXT one. Only a thumbnail the SDK has never seen is read when sent.
 */

import { MessageType } from "./enums";
import type { RtmError } from "./errors";
import { fromBase64, toBase64 } from "./base64";
import { MAX_MESSAGE_BYTES, utf8Size } from "./limits";

/** Spec §1.6 `RtmFileMessage`. */
export interface RtmFileMessage {
  mediaId: string;
  fileName: string;
  description: string;
  size: number;
  thumbnail: Blob | undefined;
  messageType: "FILE";
}

/** Spec §1.6 `RtmImageMessage`: a FILE plus the image's and the thumbnail's sizes in pixels. */
export interface RtmImageMessage extends Omit<RtmFileMessage, "messageType"> {
  width: number;
  height: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
  messageType: "IMAGE";
}

export type RtmMediaMessage = RtmFileMessage | RtmImageMessage;

/** The protocol's `media` object (protocol §3.3); fields at their default may be absent. */
export interface WireMedia {
  id: string;
  name?: string;
  size?: number;
  thumb?: string | null;
  width?: number;
  height?: number;
  thumb_width?: number;
  thumb_height?: number;
}

/** A FILE or IMAGE message's wire form (protocol §3.3). */
export interface WireMediaMessage {
  type: "FILE" | "IMAGE";
  description?: string;
  media: WireMedia;
}

/** Protocol §3.3: a media id is 16 to 64 of `[A-Za-z0-9_-]`. */
const MEDIA_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** Thumbnails whose bytes are known, or being read (see the module comment). */
const thumbnails = new WeakMap<Blob, Uint8Array | Promise<Uint8Array>>();

/** The bytes of a thumbnail, reading it once; kept for later sends. */
export function thumbnailBytes(blob: Blob): Uint8Array | Promise<Uint8Array> {
  let known = thumbnails.get(blob);
  if (known === undefined) {
    known = blob.arrayBuffer().then((buffer) => {
      const bytes = new Uint8Array(buffer);
      thumbnails.set(blob, bytes);
      return bytes;
    });
    thumbnails.set(blob, known);
  }
  return known;
}

/** A thumbnail Blob made from bytes the SDK holds (a received one): its bytes are known. */
export function thumbnailBlob(bytes: Uint8Array<ArrayBuffer>): Blob {
  const blob = new Blob([bytes], { type: sniffMime(bytes) });
  thumbnails.set(blob, bytes);
  return blob;
}

/**
 * Spec §1.2 `downloadMedia` (1.4.2+): the Blob's type is sniffed from the first bytes for PNG,
 * GIF, PDF, JPEG and ZIP; anything else gets no type (`""`), as Agora's does.
 */
export function sniffMime(bytes: Uint8Array): string {
  const starts = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39)) {
    return "image/gif"; // GIF87a, GIF89a
  }
  if (starts(0x25, 0x50, 0x44, 0x46)) return "application/pdf"; // %PDF
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  // PK\3\4 (a file), PK\5\6 (an empty archive), PK\7\8 (a spanned one)
  if (starts(0x50, 0x4b) && [0x0304, 0x0506, 0x0708].includes((bytes[2] << 8) | bytes[3])) {
    return "application/zip";
  }
  return "";
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * Why the parts a FILE or IMAGE message is made of are not valid (spec §1.6, §5.2), or null:
 * strings, a Blob or no thumbnail, non-negative integer sizes, and file name + description +
 * thumbnail at most 32 KB (a Blob's size is known without reading it).
 */
export function mediaPartsError(m: Record<string, unknown>): string | null {
  const { fileName, description, thumbnail } = m;
  if (typeof fileName !== "string" || typeof description !== "string") {
    return "fileName and description are strings";
  }
  if (thumbnail !== undefined && thumbnail !== null && !(thumbnail instanceof Blob)) {
    return "a thumbnail is a Blob";
  }
  const sizes = [m.width, m.height, m.thumbnailWidth, m.thumbnailHeight];
  if (!sizes.every((n) => n === undefined || isCount(n))) {
    return "width and height are non-negative integers";
  }
  const thumb = thumbnail instanceof Blob ? thumbnail.size : 0;
  if (utf8Size(fileName) + utf8Size(description) + thumb > MAX_MESSAGE_BYTES) {
    return "file name, description and thumbnail over 32 KB";
  }
  return null;
}

/**
 * A FILE or IMAGE message with every field at its default, as `createMessage` rebuilds one
 * from a known `mediaId` (spec §1.2, ≤ 1.4.x). Nothing is checked here: an invalid message is
 * refused when sent. A thumbnail Blob starts being read, so that sending it needs no wait.
 */
export function rebuildMediaMessage(m: Record<string, unknown>): RtmMediaMessage {
  const thumbnail = m.thumbnail instanceof Blob ? m.thumbnail : undefined;
  if (thumbnail !== undefined) void Promise.resolve(thumbnailBytes(thumbnail)).catch(() => {});
  const file = {
    mediaId: m.mediaId as string,
    fileName: (m.fileName as string | undefined) ?? "",
    description: (m.description as string | undefined) ?? "",
    size: (m.size as number | undefined) ?? 0,
    thumbnail,
  };
  if (m.messageType === MessageType.IMAGE) {
    return {
      ...file,
      width: (m.width as number | undefined) ?? 0,
      height: (m.height as number | undefined) ?? 0,
      thumbnailWidth: (m.thumbnailWidth as number | undefined) ?? 0,
      thumbnailHeight: (m.thumbnailHeight as number | undefined) ?? 0,
      messageType: "IMAGE",
    };
  }
  return { ...file, messageType: "FILE" };
}

/**
 * The wire form of a FILE or IMAGE message (protocol §3.3), or throw `invalid(...)`. Returns
 * a Promise only when the thumbnail's bytes must be read first (see the module comment).
 */
export function mediaToWire(
  m: Record<string, unknown>,
  type: "FILE" | "IMAGE",
  invalid: (message: string) => RtmError,
): WireMediaMessage | Promise<WireMediaMessage> {
  if (typeof m.mediaId !== "string" || !MEDIA_ID.test(m.mediaId)) {
    throw invalid(`a ${type} message needs a valid mediaId`);
  }
  if (m.text !== undefined || m.rawMessage !== undefined) {
    throw invalid(`a ${type} message carries no text or rawMessage`);
  }
  const parts = { ...m, fileName: m.fileName ?? "", description: m.description ?? "" };
  const problem = mediaPartsError(parts);
  if (problem !== null) throw invalid(problem);
  if (m.size !== undefined && !isCount(m.size)) throw invalid("size is a non-negative integer");
  const media: WireMedia = { id: m.mediaId };
  if (parts.fileName) media.name = parts.fileName as string;
  if (m.size) media.size = m.size;
  if (type === MessageType.IMAGE) {
    // Protocol §3.3: a FILE has no image sizes; an IMAGE's are left out at 0.
    const sizes = [
      ["width", m.width],
      ["height", m.height],
      ["thumb_width", m.thumbnailWidth],
      ["thumb_height", m.thumbnailHeight],
    ] as const;
    for (const [key, value] of sizes) if (value) media[key] = value as number;
  }
  const wire: WireMediaMessage = { type, media };
  if (parts.description) wire.description = parts.description as string;
  if (!(m.thumbnail instanceof Blob)) return wire;
  const withThumb = (bytes: Uint8Array): WireMediaMessage => {
    media.thumb = toBase64(bytes);
    return wire;
  };
  const bytes = thumbnailBytes(m.thumbnail);
  if (bytes instanceof Uint8Array) return withThumb(bytes);
  return bytes.then(withThumb, () => {
    throw invalid("the thumbnail cannot be read");
  });
}

/** The Web shape of a received FILE or IMAGE message (spec §1.6). */
export function mediaFromWire(
  type: "FILE" | "IMAGE",
  media: WireMedia,
  description: string,
): RtmMediaMessage {
  const file = {
    mediaId: media.id,
    fileName: media.name ?? "",
    description,
    size: media.size ?? 0,
    thumbnail: media.thumb ? thumbnailBlob(fromBase64(media.thumb)) : undefined,
  };
  if (type === MessageType.IMAGE) {
    return {
      ...file,
      width: media.width ?? 0,
      height: media.height ?? 0,
      thumbnailWidth: media.thumb_width ?? 0,
      thumbnailHeight: media.thumb_height ?? 0,
      messageType: "IMAGE",
    };
  }
  return { ...file, messageType: "FILE" };
}
