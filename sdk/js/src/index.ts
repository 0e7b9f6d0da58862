/**
 * openrtm's browser SDK: the Agora RTM 1.x Web API (`agora-rtm-sdk` 1.5.1, spec §1) over the
 * openrtm protocol (docs/protocol.md). The default export is the `AgoraRTM` module object
 * (spec §1.1); loaded by `<script>`, it is the global `AgoraRTM`.
 */

import { RtmClient, type RtmConfig } from "./client";
import {
  ConnectionChangeReason,
  ConnectionState,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
} from "./enums";
import { rtmError } from "./errors";
import { END_CALL_PREFIX, isValidAppId } from "./limits";

const CONFIG_KEYS = new Set(["enableLogUpload", "logFilter", "enableCloudProxy", "server"]);

/**
 * Create a client (spec §1.1). Throws code 1 `RtmInvalidArgumentError` for an App ID that is
 * not 32 ASCII letters and digits, an unknown config key, or a `server` that is not a
 * `ws://` / `wss://` URL.
 */
function createInstance(appId: string, config?: RtmConfig): RtmClient {
  if (!isValidAppId(appId)) throw invalidArgument("invalid App ID");
  for (const key of Object.keys(config ?? {})) {
    if (!CONFIG_KEYS.has(key)) throw invalidArgument(`Invalid RTM config: ${key}`);
  }
  const server = config?.server;
  if (server !== undefined && (typeof server !== "string" || !/^wss?:\/\//i.test(server))) {
    throw invalidArgument("Invalid RTM config: server must be a ws:// or wss:// URL");
  }
  return new RtmClient(appId, { ...config });
}

/** Spec §4.15: code 1 `CREATE_INSTANCE_ERR_INVALID_ARGUMENT`. */
function invalidArgument(message: string) {
  return rtmError(1, "RtmInvalidArgumentError", message);
}

const AgoraRTM = {
  createInstance,
  VERSION: "1.5.1",
  END_CALL_PREFIX,
  ConnectionState,
  ConnectionChangeReason,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
};

export default AgoraRTM;
export type { RtmClient, RtmConfig };
export type { ChannelAttributeProperties, RtmChannel } from "./channel";
export type { RtmError } from "./errors";
export type { ChannelAttributeOptions } from "./attributes";
export type { MediaMessageParams, MediaOperationProgress, MediaTransferHandler } from "./media";
export type {
  PeerMessageSendResult,
  ReceivedMessageProperties,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
  RtmRawMessage,
  RtmTextMessage,
  SendMessageOptions,
} from "./messages";
