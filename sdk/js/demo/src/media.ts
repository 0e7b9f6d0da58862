/**
 * FILE and IMAGE messages (spec §1.2 `createMediaMessageByUploading`, `downloadMedia`; §1.6):
 * a file picked in a composer is uploaded with a progress bar and cancel button, then sent as
 * a message; received images are downloaded and shown inline, files become download links.
 * Also renders every message body, TEXT and RAW included, so that both chats show the same.
 */

import { h, formatSize } from "./dom";
import { guard, showError } from "./errors";
import type { AnyMessage, DemoClient, RtmFileMessage, RtmImageMessage } from "./sdk";

/** The body of a chat bubble for `message`; `localFile` is the sender's own copy of a media. */
export function messageBody(client: DemoClient, message: AnyMessage, localFile?: Blob): HTMLElement {
  switch (message.messageType) {
    case "IMAGE":
      return imageBody(client, message as RtmImageMessage, localFile);
    case "FILE":
      return fileBody(client, message as RtmFileMessage, localFile);
    case "RAW": {
      const raw = message as { rawMessage: Uint8Array; description?: string };
      const text = `binary message, ${formatSize(raw.rawMessage.byteLength)}`;
      return h("span", { text: raw.description ? `${text}: ${raw.description}` : text });
    }
    default:
      return h("span", { testid: "text", text: (message as { text: string }).text });
  }
}

/** An image: the full image, downloaded as a Blob (media need the login's ticket, not a URL). */
function imageBody(client: DemoClient, message: RtmImageMessage, localFile?: Blob): HTMLElement {
  const img = h("img", { testid: "image" });
  img.alt = message.fileName;
  if (message.width > 0 && message.height > 0) {
    img.width = Math.min(240, message.width);
  }
  const caption = h("div", { className: "caption", text: message.fileName });
  const box = h("div", { testid: "media", data: { mediaId: message.mediaId } }, img, caption);
  if (localFile !== undefined) {
    img.src = URL.createObjectURL(localFile);
  } else {
    caption.textContent = `${message.fileName} · loading…`;
    client
      .downloadMedia(message.mediaId)
      .then((blob) => {
        img.src = URL.createObjectURL(blob);
        caption.textContent = message.fileName;
      })
      .catch((error: unknown) => {
        caption.textContent = `${message.fileName} · not available`;
        showError("download", error);
      });
  }
  return box;
}

/** A file: a link that downloads it through the SDK, then saves it under its name. */
function fileBody(client: DemoClient, message: RtmFileMessage, localFile?: Blob): HTMLElement {
  const link = h("a", {
    className: "file-link",
    testid: "file-link",
    text: `⬇ ${message.fileName}`,
  });
  link.download = message.fileName;
  // The sender has the file; the others fetch it on the first click, then save what they got.
  let saved = localFile !== undefined;
  link.href = localFile !== undefined ? URL.createObjectURL(localFile) : "#";
  const size = h("div", { className: "caption", text: formatSize(message.size) });
  link.addEventListener("click", (event) => {
    if (saved) return; // the browser saves the Blob the link points to
    event.preventDefault();
    size.textContent = "downloading…";
    void guard("download", async () => {
      try {
        const blob = await client.downloadMedia(message.mediaId, {
          onOperationProgress: ({ currentSize, totalSize }) => {
            size.textContent = `downloading ${percent(currentSize, totalSize)}%`;
          },
        });
        link.href = URL.createObjectURL(blob);
        saved = true;
        size.textContent = formatSize(blob.size);
        link.click();
      } catch (error) {
        size.textContent = formatSize(message.size);
        throw error;
      }
    });
  });
  return h("div", { testid: "media", data: { mediaId: message.mediaId } }, link, size);
}

function percent(current: number, total: number): number {
  return total > 0 ? Math.floor((current * 100) / total) : 0;
}

/**
 * A composer's file picker: pick → upload (progress bar, cancel) → `send`. One upload at a
 * time per composer; the bar stays a moment after the end so that the outcome can be read.
 */
export class Uploader {
  private client: DemoClient | null = null;
  private cancel: AbortController | null = null;

  constructor(
    input: HTMLInputElement,
    private readonly bar: HTMLElement,
    private readonly send: (message: RtmFileMessage | RtmImageMessage, file: Blob) => Promise<boolean>,
  ) {
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      input.value = ""; // the same file may be picked again
      if (file !== undefined) void this.upload(file);
    });
  }

  start(client: DemoClient): void {
    this.client = client;
  }

  stop(): void {
    this.cancel?.abort();
    this.client = null;
    this.bar.hidden = true;
  }

  private async upload(file: File): Promise<void> {
    const client = this.client;
    if (client === null || this.cancel !== null) return;
    const cancel = new AbortController();
    this.cancel = cancel;
    const progress = h("progress", { testid: "upload-progress" });
    progress.max = Math.max(1, file.size);
    progress.value = 0;
    const status = h("span", { testid: "upload-status", text: "0%" });
    const stop = h("button", { text: "Cancel", testid: "upload-cancel" });
    stop.type = "button";
    stop.addEventListener("click", () => cancel.abort());
    this.bar.replaceChildren(h("span", { className: "name", text: file.name }), progress, status, stop);
    this.bar.dataset.state = "uploading";
    this.bar.hidden = false;
    let state = "failed";
    try {
      // Spec §1.2: the SDK finds an image's width and height itself (JPEG, PNG, BMP).
      const message = await client.createMediaMessageByUploading(
        file,
        { messageType: file.type.startsWith("image/") ? "IMAGE" : "FILE", fileName: file.name },
        {
          cancelSignal: cancel.signal,
          onOperationProgress: ({ currentSize, totalSize }) => {
            progress.max = Math.max(1, totalSize);
            progress.value = currentSize;
            status.textContent = `${percent(currentSize, totalSize)}%`;
          },
        },
      );
      progress.value = progress.max;
      status.textContent = "sending…";
      this.bar.dataset.state = "sending";
      stop.disabled = true;
      if (await this.send(message, file)) state = "done";
      status.textContent = state === "done" ? "sent" : "not sent";
    } catch (error) {
      status.textContent = "failed";
      showError("upload", error);
    } finally {
      this.cancel = null;
      stop.remove();
      this.bar.dataset.state = state;
      setTimeout(() => {
        if (this.bar.dataset.state === state && this.cancel === null) this.bar.hidden = true;
      }, 4_000);
    }
  }
}
