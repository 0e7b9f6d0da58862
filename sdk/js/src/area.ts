/**
 * Areas (spec §1.1, §1.9): Agora's SDK chooses which regional servers to reach. openrtm has
 * one server, so the area calls check their arguments as Agora's 1.5.1 does and change
 * nothing else.
 */

import { rtmError, type RtmError } from "./errors";

/** `AgoraRTM.AreaCode` (1.4.3+): the areas of `setArea`. */
export const AreaCode = {
  GLOBAL: "GLOBAL",
  INDIA: "INDIA",
  JAPAN: "JAPAN",
  ASIA: "ASIA",
  EUROPE: "EUROPE",
  CHINA: "CHINA",
  NORTH_AMERICA: "NORTH_AMERICA",
} as const;
export type AreaCode = (typeof AreaCode)[keyof typeof AreaCode];

/** The area codes of the deprecated 1.4.0 `createInstance(appId, config, areaCodes)`. */
const LEGACY_AREA_CODES = new Set(["CN", "NA", "EU", "AS", "JP", "IN", "GLOB", "OC", "SA", "AF", "OVS"]);

const AREA_CODES = new Set<unknown>(Object.values(AreaCode));

/**
 * `AgoraRTM.setArea({areaCodes, excludedArea})`: `areaCodes` a non-empty array of `AreaCode`s;
 * `excludedArea`, if given, another `AreaCode`, not `GLOBAL` and not among `areaCodes` (Agora
 * documents it for `[GLOBAL]` minus `CHINA`, `JAPAN` or `ASIA`). Throws
 * `RtmInvalidArgumentError` otherwise.
 */
export function setArea(areaConfig: { areaCodes: AreaCode[]; excludedArea?: AreaCode }): void {
  const { areaCodes, excludedArea } = (areaConfig ?? {}) as {
    areaCodes?: unknown;
    excludedArea?: unknown;
  };
  if (!Array.isArray(areaCodes) || areaCodes.length === 0) throw invalid("Invalid area config");
  if (!areaCodes.every((code) => AREA_CODES.has(code))) throw invalid("Invalid area config");
  if (excludedArea === undefined) return;
  if (excludedArea === AreaCode.GLOBAL) throw invalid("Excluded area cannot be global");
  if (areaCodes.includes(excludedArea)) throw invalid("Excluded area cannot be in areaCodes");
  if (!AREA_CODES.has(excludedArea)) throw invalid(`Invalid excludedArea: ${String(excludedArea)}`);
}

/** The third argument of the deprecated `createInstance`: absent, or legacy area codes. */
export function checkLegacyAreaCodes(areaCodes: unknown): void {
  if (areaCodes === undefined) return;
  if (!Array.isArray(areaCodes) || areaCodes.length === 0) throw invalid("Invalid area config");
  const unknown = areaCodes.filter((code) => !LEGACY_AREA_CODES.has(code));
  if (unknown.length > 0) throw invalid(`Invalid area codes: ${unknown.join(", ")}`);
}

/**
 * Agora throws these as `RtmInvalidArgumentError` with no per-operation enum; openrtm gives
 * them code 1, the code of `createInstance`'s own argument errors (spec §4.15).
 */
function invalid(message: string): RtmError {
  return rtmError(1, "RtmInvalidArgumentError", message);
}
