/**
 * Error objects (spec §1.8): an `Error` whose `name` is the Web SDK's class name and whose
 * `code` is the per-operation code of spec §4. Server refusals carry both already
 * (protocol §4); the SDK's own checks use the same pairs.
 */

export type RtmErrorName =
  | "RtmInvalidArgumentError"
  | "RtmInvalidStatusError"
  | "RtmLimitExceededError"
  | "RtmInvokeTooOftenError"
  | "RtmTimeoutError"
  | "RtmUnauthenticatedError"
  | "RtmUnavailableError"
  | "RtmUnknownError"
  | "RtmInternalError";

export interface RtmError extends Error {
  code: number;
  serverCode?: number;
  originalError?: unknown;
}

/** Build an error object with the given `code`, class `name` and `message`. */
export function rtmError(code: number, name: string, message: string): RtmError {
  const error = new Error(message) as RtmError;
  error.name = name;
  error.code = code;
  return error;
}

/** Spec §4.1 `LoginError` codes the SDK raises itself. */
export const LoginError = {
  UNKNOWN: 1,
  INVALID_ARGUMENT: 3,
  ALREADY_LOGIN: 8,
  TIMEOUT: 9,
  TOO_OFTEN: 10,
  ABORTED_BY_LOGOUT: 201,
} as const;

/** Spec §4.3 `RenewTokenError` codes the SDK raises itself. */
export const RenewTokenError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TOO_OFTEN: 4,
  USER_NOT_LOGGED_IN: 102,
  ABORTED_BY_LOGOUT: 201,
} as const;

/** Spec §4.2 `LogoutError`. */
export const LogoutError = { USER_NOT_LOGGED_IN: 102 } as const;

/** Spec §4.4 `PeerMessageError` codes the SDK raises itself. */
export const PeerMessageError = {
  TIMEOUT: 2,
  TOO_OFTEN: 5,
  INVALID_USERID: 6,
  INVALID_MESSAGE: 7,
  USER_NOT_LOGGED_IN: 102,
} as const;

/** Spec §4.15: `createChannel` with an invalid channel id. */
export const CreateChannelError = { INVALID_ARGUMENT: 1 } as const;

/** Spec §4.5 `JoinChannelError` codes the SDK raises itself. */
export const JoinChannelError = {
  TIMEOUT: 4,
  EXCEED_LIMIT: 5,
  ALREADY_JOINED: 6,
  TOO_OFTEN: 7,
  JOIN_SAME_CHANNEL_TOO_OFTEN: 8,
  USER_NOT_LOGGED_IN: 102,
  ABORTED_BY_LEAVE: 201,
  ALREADY_JOINED_CHANNEL_OF_SAME_ID: 202,
} as const;

/** Spec §4.6 `LeaveChannelError` codes the SDK raises itself. */
export const LeaveChannelError = {
  FAILURE: 1,
  NOT_IN_CHANNEL: 3,
  USER_NOT_LOGGED_IN: 102,
} as const;

/** Spec §4.7 `ChannelMessageError` codes the SDK raises itself. */
export const ChannelMessageError = {
  TIMEOUT: 2,
  TOO_OFTEN: 3,
  INVALID_MESSAGE: 4,
  NOT_IN_CHANNEL: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;

/** Spec §4.8 `GetMembersError` codes the SDK raises itself. */
export const GetMembersError = {
  TIMEOUT: 3,
  TOO_OFTEN: 4,
  NOT_IN_CHANNEL: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;

/** A login error with the name Agora gives its code (spec §4.1). */
export function loginError(code: number, message: string): RtmError {
  const names: Record<number, string> = {
    [LoginError.UNKNOWN]: "RtmUnknownError",
    [LoginError.INVALID_ARGUMENT]: "RtmInvalidArgumentError",
    [LoginError.TIMEOUT]: "RtmTimeoutError",
    [LoginError.TOO_OFTEN]: "RtmInvokeTooOftenError",
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}
