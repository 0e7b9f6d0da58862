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
