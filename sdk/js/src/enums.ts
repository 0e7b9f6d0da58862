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

/** Spec §1.5: the caller's invitation states (SENT_TO_REMOTE is the SDK's own, "internal"). */
export const LocalInvitationState = {
  IDLE: "IDLE",
  SENT_TO_REMOTE: "SENT_TO_REMOTE",
  RECEIVED_BY_REMOTE: "RECEIVED_BY_REMOTE",
  ACCEPTED_BY_REMOTE: "ACCEPTED_BY_REMOTE",
  REFUSED_BY_REMOTE: "REFUSED_BY_REMOTE",
  CANCELED: "CANCELED",
  FAILURE: "FAILURE",
} as const;
export type LocalInvitationState = (typeof LocalInvitationState)[keyof typeof LocalInvitationState];

/** Spec §1.5: the callee's invitation states (the Web SDK has no IDLE). */
export const RemoteInvitationState = {
  INVITATION_RECEIVED: "INVITATION_RECEIVED",
  ACCEPT_SENT_TO_LOCAL: "ACCEPT_SENT_TO_LOCAL",
  REFUSED: "REFUSED",
  ACCEPTED: "ACCEPTED",
  CANCELED: "CANCELED",
  FAILURE: "FAILURE",
} as const;
export type RemoteInvitationState =
  (typeof RemoteInvitationState)[keyof typeof RemoteInvitationState];

/** Spec §1.5: why a sent invitation failed (UNKNOWN is the Web SDK's hidden catch-all). */
export const LocalInvitationFailureReason = {
  UNKNOWN: "UNKNOWN",
  PEER_OFFLINE: "PEER_OFFLINE",
  PEER_NO_RESPONSE: "PEER_NO_RESPONSE",
  INVITATION_EXPIRE: "INVITATION_EXPIRE",
  NOT_LOGGEDIN: "NOT_LOGGEDIN",
} as const;
export type LocalInvitationFailureReason =
  (typeof LocalInvitationFailureReason)[keyof typeof LocalInvitationFailureReason];

/** Spec §1.5: why a received invitation failed. */
export const RemoteInvitationFailureReason = {
  UNKNOWN: "UNKNOWN",
  PEER_OFFLINE: "PEER_OFFLINE",
  ACCEPT_FAILURE: "ACCEPT_FAILURE",
  INVITATION_EXPIRE: "INVITATION_EXPIRE",
} as const;
export type RemoteInvitationFailureReason =
  (typeof RemoteInvitationFailureReason)[keyof typeof RemoteInvitationFailureReason];
