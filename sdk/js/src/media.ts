/**
 * Media transfers (spec §1.2 `createMediaMessageByUploading`, `downloadMedia`; §1.6; §4.16;
 * §5.2; ≤ 1.4.x) over the server's HTTP face (protocol §10): `POST /media` and
 * `GET /media/{id}`, authorized by the login session's media ticket. Mirrors the Python SDK
 * (src/openrtm/client/media.py):
 *
 * - checks before any I/O: a non-empty Blob of at most 30 MB (codes 2, 4), valid params
 *   (file name + description + thumbnail at most 32 KB, code 2), CONNECTED (102), at most 9
 *   transfers of this client under way (5);
 * - progress about once a second while bytes move, none while stalled, and once at the end;
 * - no byte moved for 120 s (spec §4.17): code 3; the handler's `cancelSignal` aborted: 6;
 * - a refusal by the server carries its own code and name (protocol §10.2).
 *
 * XMLHttpRequest, not fetch: it is the browser API that reports upload progress (fetch
 * reports none, and streaming request bodies need HTTP/2, which the HTTP face does not speak).
 */

import { MessageType } from "./enums";
import type { RtmError } from "./errors";
import { rtmError } from "./errors";
import {
  mediaPartsError,
  sniffMime,
  thumbnailBytes,
  type RtmFileMessage,
  type RtmImageMessage,
} from "./media-messages";

/** Spec §1.6 `MediaOperationProgress`: bytes moved so far, and in all. */
export interface MediaOperationProgress {
  currentSize: number;
  totalSize: number;
}

/** Spec §1.6 `MediaTransferHandler`. */
export interface MediaTransferHandler {
  cancelSignal?: AbortSignal;
  onOperationProgress?: (progress: MediaOperationProgress) => void;
}

/** `createMediaMessageByUploading`'s params (spec §1.2, §1.6). */
export interface MediaMessageParams {
  messageType?: "FILE" | "IMAGE";
  fileName?: string;
  description?: string;
  thumbnail?: Blob;
  width?: number;
  height?: number;
  thumbnailWidth?: number;
  thumbnailHeight?: number;
}

/** Where the session's transfers go, and the ticket that authorizes them (protocol §10.1). */
export interface MediaSession {
  /** The HTTP face's base URL, ending in `/`. */
  httpUrl: string;
  ticket: string;
}

/** What the client gives this module: its media session while CONNECTED, else null. */
export interface MediaLink {
  session(): MediaSession | null;
}

/** Spec §4.16 `UPLOAD_MEDIA_ERR_*`. */
export const UploadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  SIZE_OVERFLOW: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_LOGGED_IN: 102,
} as const;

/** Spec §4.16 `DOWNLOAD_MEDIA_ERR_*`. */
export const DownloadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  NOT_EXIST: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_LOGGED_IN: 102,
} as const;

/** Spec §5.2, protocol §10.5: the largest object (30 MB) and transfers at once per client. */
export const MAX_MEDIA_BYTES = 30 * 1024 * 1024;
export const MAX_CONCURRENT_TRANSFERS = 9;
/** Spec §1.6: progress about once a second; §4.17: 120 s without a byte moving fails. */
const PROGRESS_EVERY_MS = 1_000;
const STALL_TIMEOUT_MS = 120_000;

type Kind = "upload" | "download";

/**
 * Spec §1.8 names of the §4.16 codes, as the Python SDK gives them (codes.py
 * `web_error_name`): 4 is SIZE_OVERFLOW for an upload, NOT_EXIST for a download.
 */
function transferError(kind: Kind, code: number, message: string): RtmError {
  const names: Record<number, string> = {
    1: "RtmUnavailableError",
    2: "RtmInvalidArgumentError",
    3: "RtmTimeoutError",
    4: kind === "upload" ? "RtmLimitExceededError" : "RtmInvalidArgumentError",
    5: "RtmLimitExceededError",
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}

/**
 * The session's media base URL from a login reply (protocol §3.1): its `http` when the server
 * has a public URL, else `http_port` on the host the WebSocket went to (`https` for `wss`).
 */
export function mediaSession(reply: unknown, websocketUrl: string): MediaSession | null {
  const r = (reply ?? {}) as { http?: unknown; http_port?: unknown; media_ticket?: unknown };
  if (typeof r.media_ticket !== "string") return null;
  let httpUrl: string;
  if (typeof r.http === "string") {
    httpUrl = r.http.endsWith("/") ? r.http : `${r.http}/`;
  } else if (typeof r.http_port === "number") {
    const ws = new URL(websocketUrl);
    const scheme = ws.protocol === "wss:" ? "https:" : "http:";
    httpUrl = `${scheme}//${ws.hostname}:${r.http_port}/`; // hostname keeps IPv6's brackets
  } else {
    return null;
  }
  return { httpUrl, ticket: r.media_ticket };
}

/** One transfer under way: its request, its progress and how it ends. */
interface Transfer {
  current: number;
  total: number;
  movedAt: number;
}

/** The media transfers of one client. */
export class MediaTransfers {
  private active = 0;

  constructor(private readonly link: MediaLink) {}

  /** `createMediaMessageByUploading` (spec §1.2): upload `blob`, resolve the message to send. */
  async upload(
    blob: Blob,
    params?: MediaMessageParams,
    handler?: MediaTransferHandler,
  ): Promise<RtmFileMessage | RtmImageMessage> {
    const invalid = (message: string) =>
      transferError("upload", UploadMediaError.INVALID_ARGUMENT, message);
    const p = (params ?? {}) as Record<string, unknown>;
    if (typeof p !== "object") throw invalid("params are an object");
    const type = p.messageType ?? MessageType.FILE;
    if (type !== MessageType.FILE && type !== MessageType.IMAGE) {
      throw invalid("messageType is FILE or IMAGE");
    }
    const fileName = (p.fileName ?? "") as string; // strings: mediaPartsError checks them
    const description = (p.description ?? "") as string;
    const problem = mediaPartsError({ ...p, fileName, description });
    if (problem !== null) throw invalid(problem);
    const checked = checkHandler(handler);
    if (checked !== null) throw invalid(checked);
    if (!(blob instanceof Blob)) throw invalid("the object is a Blob");
    if (blob.size === 0) throw invalid("the object is empty");
    if (blob.size > MAX_MEDIA_BYTES) {
      const code = UploadMediaError.SIZE_OVERFLOW;
      throw transferError("upload", code, `the object is over ${MAX_MEDIA_BYTES} bytes`);
    }
    const thumbnail = p.thumbnail instanceof Blob ? p.thumbnail : undefined;
    const session = this.begin("upload");
    let result: UploadResult;
    try {
      // The message carries the thumbnail's bytes: read them now, so it is sent at once.
      if (thumbnail !== undefined) {
        await Promise.resolve(thumbnailBytes(thumbnail)).catch(() => {
          throw invalid("the thumbnail cannot be read"); // as the Python SDK's unreadable file
        });
      }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${session.httpUrl}media`);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      const body = await this.run("upload", xhr, session, blob.size, handler, xhr.upload, blob);
      result = parseUploadResult(body);
    } finally {
      this.active--;
    }
    const file = { mediaId: result.media_id, fileName, description, size: result.size, thumbnail };
    if (type === MessageType.FILE) return { ...file, messageType: "FILE" };
    // Spec §1.2: an image's width and height are read from its header (by the server,
    // protocol §10.3) unless the app gave them.
    return {
      ...file,
      width: (p.width as number | undefined) || result.width || 0,
      height: (p.height as number | undefined) || result.height || 0,
      thumbnailWidth: (p.thumbnailWidth as number | undefined) ?? 0,
      thumbnailHeight: (p.thumbnailHeight as number | undefined) ?? 0,
      messageType: "IMAGE",
    };
  }

  /** `downloadMedia` (spec §1.2): the object as a Blob whose type is sniffed. */
  async download(mediaId: string, handler?: MediaTransferHandler): Promise<Blob> {
    const code = DownloadMediaError.INVALID_ARGUMENT;
    const checked = checkHandler(handler);
    if (checked !== null) throw transferError("download", code, checked);
    if (typeof mediaId !== "string" || mediaId === "") {
      throw transferError("download", code, "a media id is a non-empty string");
    }
    const session = this.begin("download");
    try {
      const xhr = new XMLHttpRequest();
      xhr.open("GET", `${session.httpUrl}media/${encodeURIComponent(mediaId)}`);
      const bytes = new Uint8Array(await this.run("download", xhr, session, 0, handler, xhr));
      return new Blob([bytes], { type: sniffMime(bytes) });
    } finally {
      this.active--;
    }
  }

  /** Check the login and take a transfer slot (spec §5.2: at most 9). */
  private begin(kind: Kind): MediaSession {
    const session = this.link.session();
    if (session === null) throw transferError(kind, 102, "not logged in");
    if (this.active >= MAX_CONCURRENT_TRANSFERS) {
      throw transferError(kind, 5, `${MAX_CONCURRENT_TRANSFERS} transfers under way`);
    }
    this.active++;
    return session;
  }

  /**
   * Run one request (opened by the caller) with its progress reports, its stall timeout and
   * its cancel signal; resolve the 200 answer's body, reject with the §4.16 error.
   */
  private run(
    kind: Kind,
    xhr: XMLHttpRequest,
    session: MediaSession,
    total: number,
    handler: MediaTransferHandler | undefined,
    progressOf: XMLHttpRequestEventTarget,
    body: Blob | null = null,
  ): Promise<ArrayBuffer> {
    const transfer: Transfer = { current: 0, total, movedAt: Date.now() };
    const signal = handler?.cancelSignal;
    const report = () => {
      try {
        handler?.onOperationProgress?.({ currentSize: transfer.current, totalSize: transfer.total });
      } catch (error) {
        setTimeout(() => {
          throw error; // the app's bug reaches the console; the transfer goes on
        });
      }
    };
    return new Promise<ArrayBuffer>((resolve, reject) => {
      let reported = 0; // no report before a byte has moved
      let nextReport = Date.now() + PROGRESS_EVERY_MS;
      let done = false;
      const finish = (error: RtmError | null, result?: ArrayBuffer) => {
        if (done) return;
        done = true;
        clearInterval(watch);
        signal?.removeEventListener("abort", cancel);
        if (error !== null) {
          xhr.abort();
          reject(error);
          return;
        }
        report(); // the last report, always (as the Python SDK's)
        resolve(result as ArrayBuffer);
      };
      const cancel = () => finish(transferError(kind, 6, "cancelled"), undefined);
      // One timer per transfer, for the reports and the stall (spec §1.6, §4.17).
      const watch = setInterval(() => {
        const now = Date.now();
        if (now - transfer.movedAt >= STALL_TIMEOUT_MS) {
          finish(transferError(kind, 3, `no progress for ${STALL_TIMEOUT_MS / 1000} s`));
        } else if (now >= nextReport && transfer.current !== reported) {
          // Spec §1.6: "paused while stalled": nothing new, no report.
          reported = transfer.current;
          nextReport = now + PROGRESS_EVERY_MS;
          report();
        }
      }, Math.min(PROGRESS_EVERY_MS, STALL_TIMEOUT_MS / 4));
      progressOf.onprogress = (event: ProgressEvent) => {
        if (event.loaded !== transfer.current) transfer.movedAt = Date.now();
        transfer.current = event.loaded;
        if (event.lengthComputable) transfer.total = event.total;
      };
      xhr.responseType = "arraybuffer";
      xhr.onload = () => {
        const answer = xhr.response as ArrayBuffer | null;
        if (xhr.status === 200 && answer !== null) {
          if (kind === "download") {
            transfer.current = answer.byteLength;
            transfer.total = answer.byteLength;
          } else transfer.current = transfer.total;
          finish(null, answer);
        } else {
          finish(refusal(kind, xhr.status, answer));
        }
      };
      // A network failure (server gone, connection cut, CORS refused): code 1, as the Python
      // SDK raises for a failed transfer.
      xhr.onerror = () => finish(transferError(kind, 1, "the transfer failed"));
      if (signal?.aborted) {
        cancel();
        return;
      }
      signal?.addEventListener("abort", cancel);
      xhr.setRequestHeader("Authorization", `Bearer ${session.ticket}`);
      xhr.send(body);
    });
  }
}

/** Why a handler is not a `MediaTransferHandler` (spec §1.6), or null. */
function checkHandler(handler: unknown): string | null {
  if (handler === undefined || handler === null) return null;
  if (typeof handler !== "object") return "a handler is an object";
  const { cancelSignal, onOperationProgress } = handler as Record<string, unknown>;
  if (cancelSignal !== undefined && !(cancelSignal instanceof AbortSignal)) {
    return "cancelSignal is an AbortSignal";
  }
  if (onOperationProgress !== undefined && typeof onOperationProgress !== "function") {
    return "onOperationProgress is a function";
  }
  return null;
}

/** Protocol §10.3: the answer to an upload. */
interface UploadResult {
  media_id: string;
  size: number;
  width?: number;
  height?: number;
}

function parseUploadResult(body: ArrayBuffer): UploadResult {
  try {
    const result = JSON.parse(new TextDecoder().decode(body)) as UploadResult;
    if (typeof result.media_id === "string" && typeof result.size === "number") return result;
  } catch {
    // not JSON: below
  }
  throw transferError("upload", 1, "the server's answer is not an upload result");
}

/** The error a refused transfer rejects with (protocol §10.2): the server's code, or 1. */
function refusal(kind: Kind, status: number, body: ArrayBuffer | null): RtmError {
  try {
    const answer = JSON.parse(new TextDecoder().decode(body ?? new ArrayBuffer(0))) as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
    };
    if (typeof answer.code === "number" && typeof answer.name === "string") {
      const message = typeof answer.message === "string" ? answer.message : `HTTP ${status}`;
      const error = rtmError(answer.code, answer.name, message);
      error.serverCode = answer.code;
      return error;
    }
  } catch {
    // not the server's JSON (a proxy's page): below
  }
  return transferError(kind, 1, `the server answered HTTP ${status}`);
}
