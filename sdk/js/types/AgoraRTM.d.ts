/**
 * Types of openrtm's browser SDK: the published TypeScript surface of Agora's `agora-rtm-sdk`
 * 1.x Web SDK (the union of 1.4.5 and 1.5.1, spec §1), so that an app written against
 * `agora-rtm-sdk` compiles unchanged against openrtm. The names, shapes and exports are
 * Agora's (spec §1.10); the few openrtm additions are marked "openrtm:".
 *
 * Hand-written; sdk/js/test/conformance.ts checks at build time that the implementation
 * (sdk/js/src/index.ts) is assignable to these declarations, so the two cannot drift apart.
 */

/** The SDK's string enums (spec §1.9): every value equals its name. */
declare namespace RtmStatusCode {
  /** Why the connection state changed (spec §3). `TOKEN_EXPIRED` since 1.4.6. */
  export enum ConnectionChangeReason {
    LOGIN = "LOGIN",
    LOGIN_SUCCESS = "LOGIN_SUCCESS",
    LOGIN_FAILURE = "LOGIN_FAILURE",
    LOGIN_TIMEOUT = "LOGIN_TIMEOUT",
    INTERRUPTED = "INTERRUPTED",
    LOGOUT = "LOGOUT",
    BANNED_BY_SERVER = "BANNED_BY_SERVER",
    REMOTE_LOGIN = "REMOTE_LOGIN",
    TOKEN_EXPIRED = "TOKEN_EXPIRED",
  }
  /** The client's connection state (spec §3.1). */
  export enum ConnectionState {
    DISCONNECTED = "DISCONNECTED",
    CONNECTING = "CONNECTING",
    CONNECTED = "CONNECTED",
    RECONNECTING = "RECONNECTING",
    ABORTED = "ABORTED",
  }
  /** A sent call invitation's state (spec §1.5). */
  export enum LocalInvitationState {
    IDLE = "IDLE",
    SENT_TO_REMOTE = "SENT_TO_REMOTE",
    RECEIVED_BY_REMOTE = "RECEIVED_BY_REMOTE",
    ACCEPTED_BY_REMOTE = "ACCEPTED_BY_REMOTE",
    REFUSED_BY_REMOTE = "REFUSED_BY_REMOTE",
    CANCELED = "CANCELED",
    FAILURE = "FAILURE",
  }
  /** A received call invitation's state (spec §1.5). */
  export enum RemoteInvitationState {
    INVITATION_RECEIVED = "INVITATION_RECEIVED",
    ACCEPT_SENT_TO_LOCAL = "ACCEPT_SENT_TO_LOCAL",
    REFUSED = "REFUSED",
    ACCEPTED = "ACCEPTED",
    CANCELED = "CANCELED",
    FAILURE = "FAILURE",
  }
  /** Why a sent invitation failed (spec §1.5). */
  export enum LocalInvitationFailureReason {
    UNKNOWN = "UNKNOWN",
    PEER_NO_RESPONSE = "PEER_NO_RESPONSE",
    INVITATION_EXPIRE = "INVITATION_EXPIRE",
    PEER_OFFLINE = "PEER_OFFLINE",
    NOT_LOGGEDIN = "NOT_LOGGEDIN",
  }
  /** Why a received invitation failed (spec §1.5). */
  export enum RemoteInvitationFailureReason {
    UNKNOWN = "UNKNOWN",
    PEER_OFFLINE = "PEER_OFFLINE",
    ACCEPT_FAILURE = "ACCEPT_FAILURE",
    INVITATION_EXPIRE = "INVITATION_EXPIRE",
  }
  /** A followed peer's state in `PeersOnlineStatusChanged`. */
  export enum PeerOnlineState {
    ONLINE = "ONLINE",
    UNREACHABLE = "UNREACHABLE",
    OFFLINE = "OFFLINE",
  }
  /** What `queryPeersBySubscriptionOption` lists. */
  export enum PeerSubscriptionOption {
    ONLINE_STATUS = "ONLINE_STATUS",
  }
  /** A message's type (spec §1.6); `FILE` and `IMAGE` are the 1.4.x media messages. */
  export enum MessageType {
    TEXT = "TEXT",
    RAW = "RAW",
    IMAGE = "IMAGE",
    FILE = "FILE",
  }
  /** The area codes of the deprecated three-argument `createInstance` (1.4.0). */
  export enum LegacyAreaCode {
    CN = "CN",
    NA = "NA",
    EU = "EU",
    AS = "AS",
    JP = "JP",
    IN = "IN",
    GLOB = "GLOB",
    OC = "OC",
    SA = "SA",
    AF = "AF",
    OVS = "OVS",
  }
  /** The area codes of `AgoraRTM.setArea` (1.4.3+). */
  export enum AreaCode {
    GLOBAL = "GLOBAL",
    INDIA = "INDIA",
    JAPAN = "JAPAN",
    ASIA = "ASIA",
    EUROPE = "EUROPE",
    CHINA = "CHINA",
    NORTH_AMERICA = "NORTH_AMERICA",
  }
}

/** One channel attribute as read back (spec §1.7); `lastUpdateTs` is in ms. */
interface ChannelAttributeProperties {
  value: string;
  lastUpdateUserId: string;
  lastUpdateTs: number;
}

/** User or channel attributes as written: key → value. */
interface AttributesMap {
  [key: string]: string;
}

/** Channel attributes as read back: key → value and who wrote it when. */
interface ChannelAttributes {
  [key: string]: ChannelAttributeProperties;
}

/** Options of the channel-attribute writes: tell the members (`AttributesUpdated`)? */
interface ChannelAttributeOptions {
  enableNotificationToChannelMembers?: boolean;
}

/** A listener's arguments for an event declared as a function type. */
type ListenerType<T> = [T] extends [(...args: infer U) => unknown]
  ? U
  : [T] extends [void]
    ? []
    : [T];

/** The Node-style emitter every SDK object is (spec §1.2), typed by its events. */
declare class EventEmitter<TEventRecord = {}> {
  static defaultMaxListeners: number;
  on<P extends keyof TEventRecord, T>(
    this: T,
    event: P,
    listener: (...args: ListenerType<TEventRecord[P]>) => void,
  ): this;
  once<P extends keyof TEventRecord, T>(
    this: T,
    event: P,
    listener: (...args: ListenerType<TEventRecord[P]>) => void,
  ): this;
  off<P extends keyof TEventRecord, T>(
    this: T,
    event: P,
    listener: (...args: any[]) => unknown,
  ): this;
  removeAllListeners<P extends keyof TEventRecord, T>(this: T, event?: P): this;
  listeners<P extends keyof TEventRecord, T>(this: T, event: P): Function[];
  rawListeners<P extends keyof TEventRecord, T>(this: T, event: P): Function[];
  listenerCount<P extends keyof TEventRecord, T>(this: T, event: P): number;
}

/** A text message: at most 32 KB of UTF-8 (spec §1.6, §5.2). */
interface RtmTextMessage {
  text: string;
  messageType?: "TEXT";
  rawMessage?: never;
  description?: never;
}

/** A binary message: `rawMessage` and `description` together at most 32 KB. */
interface RtmRawMessage {
  rawMessage: Uint8Array;
  description?: string;
  messageType?: "RAW";
  text?: never;
}

/** An image uploaded with `createMediaMessageByUploading` (1.4.x). */
interface RtmImageMessage {
  width: number;
  height: number;
  fileName: string;
  description: string;
  thumbnail: Blob | undefined;
  thumbnailWidth: number;
  thumbnailHeight: number;
  size: number;
  mediaId: string;
  messageType: "IMAGE";
}

/** A file uploaded with `createMediaMessageByUploading` (1.4.x). */
interface RtmFileMessage {
  fileName: string;
  description: string;
  thumbnail: Blob | undefined;
  size: number;
  mediaId: string;
  messageType: "FILE";
}

/** Any message an app sends or receives. */
type RtmMessage = RtmTextMessage | RtmRawMessage | RtmFileMessage | RtmImageMessage;

/** What `sendMessageToPeer` resolves to (spec §6.1). */
interface PeerMessageSendResult {
  hasPeerReceived: boolean;
}

/** The 1.4.x third argument of `sendMessageToPeer` / second of `channel.sendMessage`. */
interface SendMessageOptions {
  enableOfflineMessaging?: boolean;
  enableHistoricalMessaging?: boolean;
}

/** What comes with a received message: the server's timestamp, and (1.4.x) whether it waited offline. */
interface ReceivedMessageProperties {
  serverReceivedTs: number;
  isOfflineMessage: boolean;
}

/** `PeersOnlineStatusChanged`'s argument: peer id → state. */
interface PeersOnlineStatusMap {
  [peerId: string]: RtmStatusCode.PeerOnlineState;
}

/** Every SDK object's events and their listeners' arguments (spec §1.3–§1.5). */
declare namespace RtmEvents {
  export interface RtmChannelEvents {
    ChannelMessage: (
      message: RtmMessage,
      memberId: string,
      messagePros: ReceivedMessageProperties,
    ) => void;
    MemberLeft: (memberId: string) => void;
    MemberJoined: (memberId: string) => void;
    AttributesUpdated: (attributes: ChannelAttributes) => void;
    MemberCountUpdated: (memberCount: number) => void;
  }
  export interface RemoteInvitationEvents {
    RemoteInvitationCanceled: (content: string) => void;
    RemoteInvitationRefused: () => void;
    RemoteInvitationAccepted: () => void;
    RemoteInvitationFailure: (reason: RtmStatusCode.RemoteInvitationFailureReason) => void;
  }
  export interface LocalInvitationEvents {
    LocalInvitationAccepted: (response: string) => void;
    LocalInvitationRefused: (response: string) => void;
    LocalInvitationReceivedByPeer: () => void;
    LocalInvitationCanceled: () => void;
    LocalInvitationFailure: (reason: RtmStatusCode.LocalInvitationFailureReason) => void;
  }
  export interface RtmClientEvents {
    MessageFromPeer: (
      message: RtmMessage,
      peerId: string,
      messageProps: ReceivedMessageProperties,
    ) => void;
    ConnectionStateChanged: (
      newState: RtmStatusCode.ConnectionState,
      reason: RtmStatusCode.ConnectionChangeReason,
    ) => void;
    RemoteInvitationReceived: (remoteInvitation: RemoteInvitation) => void;
    TokenExpired: () => void;
    TokenPrivilegeWillExpire: () => void;
    PeersOnlineStatusChanged: (status: PeersOnlineStatusMap) => void;
    FallbackProxyConnected: () => void;
  }
}

/** A call invitation this client sends (spec §1.5). */
declare class LocalInvitation extends EventEmitter<RtmEvents.LocalInvitationEvents> {
  readonly response: string;
  readonly state: RtmStatusCode.LocalInvitationState;
  content: string;
  readonly calleeId: string;
  channelId: string;
  send(): void;
  cancel(): void;
  on<EventName extends keyof RtmEvents.LocalInvitationEvents>(
    eventName: EventName,
    listener: (...args: ListenerType<RtmEvents.LocalInvitationEvents[EventName]>) => unknown,
  ): this;
}

/** A call invitation this client received (spec §1.5). */
declare class RemoteInvitation extends EventEmitter<RtmEvents.RemoteInvitationEvents> {
  readonly channelId: string;
  readonly callerId: string;
  readonly content: string;
  readonly state: RtmStatusCode.RemoteInvitationState;
  response: string;
  accept(): void;
  refuse(): void;
  on<EventName extends keyof RtmEvents.RemoteInvitationEvents>(
    eventName: EventName,
    listener: (...args: ListenerType<RtmEvents.RemoteInvitationEvents[EventName]>) => unknown,
  ): this;
}

/** A channel made by `client.createChannel(id)` (spec §1.4). */
declare class RtmChannel extends EventEmitter<RtmEvents.RtmChannelEvents> {
  readonly channelId: string;
  sendMessage(message: RtmMessage, messageOptions?: SendMessageOptions): Promise<void>;
  join(): Promise<void>;
  leave(): Promise<void>;
  getMembers(): Promise<string[]>;
  on<EventName extends keyof RtmEvents.RtmChannelEvents>(
    eventName: EventName,
    listener: (...args: ListenerType<RtmEvents.RtmChannelEvents[EventName]>) => unknown,
  ): this;
}

/** Which log levels are on (the `AgoraRTM.LOG_FILTER_*` objects). */
type LogFilterType = {
  error: boolean;
  warn: boolean;
  info: boolean;
  track: boolean;
  debug: boolean;
};

/** `createInstance` / `updateConfig` options (spec §1.1). */
interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
  /**
   * openrtm: the server's WebSocket URL (`ws://` or `wss://`). Without it the SDK uses
   * `globalThis.OPENRTM_SERVER`, else `server.json` next to its own script.
   */
  server?: string;
}

/** `queryPeersOnlineStatus`'s answer: peer id → logged in? */
interface PeersOnlineStatusResult {
  [peerId: string]: boolean;
}

/** `getChannelMemberCount`'s answer: channel id → members. */
interface ChannelMemberCountResult {
  [channelId: string]: number;
}

/** A media transfer's progress, in bytes. */
interface MediaOperationProgress {
  currentSize: number;
  totalSize: number;
}

/** Progress and cancellation of a media transfer (1.4.x). */
interface MediaTransferHandler {
  cancelSignal?: AbortSignal;
  onOperationProgress?: (event: MediaOperationProgress) => void;
}

/** The client made by `AgoraRTM.createInstance` (spec §1.2, §1.3). */
declare class RtmClient extends EventEmitter<RtmEvents.RtmClientEvents> {
  /** openrtm: the connection state (spec §3.1), as Agora's object has at run time. */
  readonly connectionState: RtmStatusCode.ConnectionState;
  login(options: { uid: string; token?: string }): Promise<void>;
  logout(): Promise<void>;
  sendMessageToPeer(
    message: RtmMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult>;
  createChannel(channelId: string): RtmChannel;
  createLocalInvitation(calleeId: string): LocalInvitation;
  setLocalUserAttributes(attributes: AttributesMap): Promise<void>;
  addOrUpdateLocalUserAttributes(attributes: AttributesMap): Promise<void>;
  deleteLocalUserAttributesByKeys(attributeKeys: string[]): Promise<void>;
  clearLocalUserAttributes(): Promise<void>;
  getUserAttributes(userId: string): Promise<AttributesMap>;
  getUserAttributesByKeys(userId: string, attributeKeys: string[]): Promise<AttributesMap>;
  queryPeersOnlineStatus(peerIds: string[]): Promise<PeersOnlineStatusResult>;
  renewToken(token: string): Promise<void>;
  updateConfig(config: RtmConfig): void;
  /** @deprecated since 1.4.2: use `updateConfig`. */
  setParameters(config: RtmConfig): void;
  getChannelMemberCount(channelIds: string[]): Promise<ChannelMemberCountResult>;
  getChannelAttributes(channelId: string): Promise<ChannelAttributes>;
  getChannelAttributesByKeys(channelId: string, keys: string[]): Promise<ChannelAttributes>;
  clearChannelAttributes(channelId: string, options?: ChannelAttributeOptions): Promise<void>;
  deleteChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
    options?: ChannelAttributeOptions,
  ): Promise<void>;
  addOrUpdateChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void>;
  setChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void>;
  subscribePeersOnlineStatus(peerIds: string[]): Promise<void>;
  unsubscribePeersOnlineStatus(peerIds: string[]): Promise<void>;
  queryPeersBySubscriptionOption(option: RtmStatusCode.PeerSubscriptionOption): Promise<string[]>;
  createMediaMessageByUploading(
    payload: Blob,
    params?: {
      fileName?: string;
      description?: string;
      thumbnail?: Blob | undefined;
      messageType?: "FILE";
    },
    transHandler?: MediaTransferHandler,
  ): Promise<RtmFileMessage>;
  createMediaMessageByUploading(
    payload: Blob,
    params?: {
      width?: number;
      height?: number;
      fileName?: string;
      description?: string;
      thumbnail?: Blob | undefined;
      thumbnailWidth?: number | undefined;
      thumbnailHeight?: number | undefined;
      messageType?: "IMAGE";
    },
    transHandler?: MediaTransferHandler,
  ): Promise<RtmImageMessage>;
  downloadMedia(mediaId: string, transHandler?: MediaTransferHandler): Promise<Blob>;
  createMessage<T extends RtmMessage>(message: Partial<T>): T;
  on<EventName extends keyof RtmEvents.RtmClientEvents>(
    eventName: EventName,
    listener: (...args: ListenerType<RtmEvents.RtmClientEvents[EventName]>) => unknown,
  ): this;
}

/** The module object: the default export, and the global `AgoraRTM` of a `<script>` (spec §1.1). */
declare namespace AgoraRTM {
  const LOG_FILTER_OFF: LogFilterType;
  const LOG_FILTER_ERROR: LogFilterType;
  const LOG_FILTER_INFO: LogFilterType;
  const LOG_FILTER_WARNING: LogFilterType;
  /** The SDK's version, Agora's numbering: `"1.5.1"`. */
  const VERSION: string;
  /** The build's name (Agora's form `v1.5.1-…`). */
  const BUILD: string;
  /** The legacy end-call prefix of peer text messages (spec §1.5). */
  const END_CALL_PREFIX: string;
  function createInstance(appId: string, config?: RtmConfig): RtmClient;
  /** @deprecated since 1.4.3: use `AgoraRTM.setArea`. */
  function createInstance(
    appId: string,
    config?: RtmConfig,
    areaCodes?: RtmStatusCode.AreaCode[],
  ): RtmClient;
  /** Choose the areas to connect through (1.4.3+); openrtm checks it and has one server. */
  function setArea(areaConfig: {
    areaCodes: RtmStatusCode.AreaCode[];
    excludedArea?: RtmStatusCode.AreaCode;
  }): void;
  const ConnectionChangeReason: typeof RtmStatusCode.ConnectionChangeReason;
  const ConnectionState: typeof RtmStatusCode.ConnectionState;
  const LocalInvitationFailureReason: typeof RtmStatusCode.LocalInvitationFailureReason;
  const LocalInvitationState: typeof RtmStatusCode.LocalInvitationState;
  const RemoteInvitationState: typeof RtmStatusCode.RemoteInvitationState;
  const RemoteInvitationFailureReason: typeof RtmStatusCode.RemoteInvitationFailureReason;
  const MessageType: typeof RtmStatusCode.MessageType;
  const PeerOnlineState: typeof RtmStatusCode.PeerOnlineState;
  const PeerSubscriptionOption: typeof RtmStatusCode.PeerSubscriptionOption;
  const AreaCode: typeof RtmStatusCode.AreaCode;
}

declare global {
  /**
   * openrtm: the server a bundled app connects to when `createInstance` got no `server`
   * (a `ws://` or `wss://` URL), set before login, e.g. in a `<script>` before the bundle.
   */
  var OPENRTM_SERVER: string | undefined;
}

export default AgoraRTM;
export type {
  LocalInvitation,
  RemoteInvitation,
  RtmChannel,
  RtmClient,
  RtmEvents,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
  RtmRawMessage,
  RtmStatusCode,
  RtmTextMessage,
};
// openrtm: the other types Agora's declarations use, exported for TypeScript apps.
export type {
  AttributesMap,
  ChannelAttributeOptions,
  ChannelAttributeProperties,
  ChannelAttributes,
  ChannelMemberCountResult,
  LogFilterType,
  MediaOperationProgress,
  MediaTransferHandler,
  PeerMessageSendResult,
  PeersOnlineStatusMap,
  PeersOnlineStatusResult,
  ReceivedMessageProperties,
  RtmConfig,
  SendMessageOptions,
};
