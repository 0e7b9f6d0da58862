/**
 * openrtm's browser SDK: the Agora RTM 1.x Web API (`agora-rtm-sdk` 1.5.1, spec §1) over the
 * openrtm protocol (docs/protocol.md). The default export is the `AgoraRTM` module object
 * (spec §1.1); loaded by `<script>`, it is the global `AgoraRTM`.
 */

import { RtmClient, type RtmConfig } from "./client";
import {
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  LocalInvitationState,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
} from "./enums";
import { rtmError } from "./errors";
import { END_CALL_PREFIX, isValidAppId } from "./limits";
import { AreaCode, checkLegacyAreaCodes, setArea } from "./area";
import {
  LOG_FILTER_DEBUG,
  LOG_FILTER_ERROR,
  LOG_FILTER_INFO,
  LOG_FILTER_OFF,
  LOG_FILTER_WARNING,
} from "./log-filters";
import { isServerUrl } from "./server-url";

const CONFIG_KEYS = new Set(["enableLogUpload", "logFilter", "enableCloudProxy", "server"]);

/**
 * Create a client (spec §1.1). Throws code 1 `RtmInvalidArgumentError` for an App ID that is
 * not 32 ASCII letters and digits, an unknown config key, a `server` that is not a
 * `ws://` / `wss://` URL, or (the deprecated 1.4.0 third argument) `areaCodes` that are not a
 * non-empty array of legacy area codes; the areas have no effect (area.ts).
 */
function createInstance(appId: string, config?: RtmConfig, areaCodes?: AreaCode[]): RtmClient {
  if (!isValidAppId(appId)) throw invalidArgument("invalid App ID");
  for (const key of Object.keys(config ?? {})) {
    if (!CONFIG_KEYS.has(key)) throw invalidArgument(`Invalid RTM config: ${key}`);
  }
  const server = config?.server;
  if (server !== undefined && !isServerUrl(server)) {
    throw invalidArgument("Invalid RTM config: server must be a ws:// or wss:// URL");
  }
  checkLegacyAreaCodes(areaCodes);
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
  LocalInvitationState,
  RemoteInvitationState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
  // Spec §1.1: Agora's build name has the form `v<version>-<commits>-g<commit>`; ours says
  // which SDK it is instead of a commit, so that the build stays byte-for-byte reproducible.
  BUILD: "v1.5.1-openrtm",
  LOG_FILTER_OFF,
  LOG_FILTER_ERROR,
  LOG_FILTER_WARNING,
  LOG_FILTER_INFO,
  LOG_FILTER_DEBUG,
  setArea,
  AreaCode,
};

export default AgoraRTM;
export type { RtmClient, RtmConfig };
export type { ChannelAttributeProperties, RtmChannel } from "./channel";
export type { RtmError } from "./errors";
export type { AreaCode } from "./area";
export type { LogFilterType } from "./log-filters";
export type { ChannelAttributeOptions } from "./attributes";
export type { LocalInvitation, RemoteInvitation } from "./invitations";
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
