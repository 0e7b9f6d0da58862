/**
 * `AgoraRTM.LOG_FILTER_*` (spec §1.1): the values of the `logFilter` config key. openrtm's SDK
 * writes no logs of its own, so they are accepted and have no effect. `LOG_FILTER_DEBUG` is
 * on Agora's object but not in its types.
 */

/** Which log levels are on. */
export interface LogFilterType {
  error: boolean;
  warn: boolean;
  info: boolean;
  track: boolean;
  debug: boolean;
}

export const LOG_FILTER_OFF: LogFilterType = {
  error: false,
  warn: false,
  info: false,
  track: false,
  debug: false,
};
export const LOG_FILTER_ERROR: LogFilterType = { ...LOG_FILTER_OFF, error: true };
export const LOG_FILTER_WARNING: LogFilterType = { ...LOG_FILTER_ERROR, warn: true };
/** The default. */
export const LOG_FILTER_INFO: LogFilterType = { ...LOG_FILTER_WARNING, info: true };
export const LOG_FILTER_DEBUG: LogFilterType = {
  error: true,
  warn: true,
  info: true,
  track: true,
  debug: true,
};
