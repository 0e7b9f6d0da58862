/**
 * Declarations of the SDK members the demo uses that are being added to the SDK in parallel
 * (FILE/IMAGE media: branch js-media), written from Agora's documented Web API (spec §1.2
 * media methods, §1.6 message types). Once media have landed, this file goes and sdk.ts takes
 * the SDK's own types.
 */

import type { PeerMessageSendResult, RtmMessage, SendMessageOptions } from "../../src/index";

/** Spec §1.6 `MediaOperationProgress`. */
export interface MediaOperationProgress {
  currentSize: number;
  totalSize: number;
}

/** Spec §1.6 `MediaTransferHandler`. */
export interface MediaTransferHandler {
  cancelSignal?: AbortSignal;
  onOperationProgress?: (progress: MediaOperationProgress) => void;
}

/** Spec §1.6 `RtmFileMessage`. */
export interface RtmFileMessage {
  messageType: "FILE";
  mediaId: string;
  fileName: string;
  description: string;
  size: number;
  thumbnail: Blob | undefined;
}

/** Spec §1.6 `RtmImageMessage`. */
export interface RtmImageMessage extends Omit<RtmFileMessage, "messageType"> {
  messageType: "IMAGE";
  width: number;
  height: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
}

/** `createMediaMessageByUploading`'s params (spec §1.2). */
export interface MediaParams {
  messageType: "FILE" | "IMAGE";
  fileName?: string;
  description?: string;
  thumbnail?: Blob;
  width?: number;
  height?: number;
  thumbnailWidth?: number;
  thumbnailHeight?: number;
}

export interface MediaApi {
  createMediaMessageByUploading(
    payload: Blob,
    params: MediaParams,
    handler?: MediaTransferHandler,
  ): Promise<RtmFileMessage | RtmImageMessage>;
  downloadMedia(mediaId: string, handler?: MediaTransferHandler): Promise<Blob>;
  /** Spec §1.2: FILE and IMAGE messages are sent like the others. */
  sendMessageToPeer(
    message: AnyMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult>;
}

/** Any message the demo sends or receives. */
export type AnyMessage = RtmMessage | RtmFileMessage | RtmImageMessage;
