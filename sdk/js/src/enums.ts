/** The Web SDK's string enums (spec §1.9): each value equals its name. */

export const ConnectionState = {
  DISCONNECTED: "DISCONNECTED",
  CONNECTING: "CONNECTING",
  CONNECTED: "CONNECTED",
  RECONNECTING: "RECONNECTING",
  ABORTED: "ABORTED",
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

export const ConnectionChangeReason = {
  LOGIN: "LOGIN",
  LOGIN_SUCCESS: "LOGIN_SUCCESS",
  LOGIN_FAILURE: "LOGIN_FAILURE",
  LOGIN_TIMEOUT: "LOGIN_TIMEOUT",
  INTERRUPTED: "INTERRUPTED",
  LOGOUT: "LOGOUT",
  BANNED_BY_SERVER: "BANNED_BY_SERVER",
  REMOTE_LOGIN: "REMOTE_LOGIN",
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
} as const;
export type ConnectionChangeReason =
  (typeof ConnectionChangeReason)[keyof typeof ConnectionChangeReason];

export const MessageType = {
  TEXT: "TEXT",
  RAW: "RAW",
  FILE: "FILE",
  IMAGE: "IMAGE",
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const PeerOnlineState = {
  ONLINE: "ONLINE",
  UNREACHABLE: "UNREACHABLE",
  OFFLINE: "OFFLINE",
} as const;
export type PeerOnlineState = (typeof PeerOnlineState)[keyof typeof PeerOnlineState];

export const PeerSubscriptionOption = { ONLINE_STATUS: "ONLINE_STATUS" } as const;
export type PeerSubscriptionOption =
  (typeof PeerSubscriptionOption)[keyof typeof PeerSubscriptionOption];
