/**
 * Where the server is. A `server` key in the client's config wins; then the page's global
 * `OPENRTM_SERVER` (for bundled apps, whose script is not next to `server.json`); otherwise the
 * SDK reads `server.json` next to its own script, which the openrtm server serves with the
 * SDK: `{"websocket": "ws://host:port/"}`.
 */

import { LoginError, rtmError } from "./errors";
import { SCRIPT_URL } from "./script-url";

/** The `server.json` URL: next to the script, else (inline script) next to the page. */
export function serverJsonUrl(): string {
  const base = SCRIPT_URL ?? (typeof document !== "undefined" ? document.baseURI : undefined);
  if (base === undefined) throw new Error("no script URL: set the `server` config key");
  return new URL("server.json", base).href;
}

/** Whether `value` is a WebSocket URL (`ws://` or `wss://`), as the `server` key must be. */
export function isServerUrl(value: unknown): value is string {
  return typeof value === "string" && /^wss?:\/\//i.test(value);
}

/**
 * Resolve the WebSocket URL: `configured`, else `globalThis.OPENRTM_SERVER` (read at each
 * login), else `server.json`'s `websocket`. Login code 1 `RtmUnknownError` when the global is
 * set but not a WebSocket URL, or `server.json` cannot be read.
 */
export async function resolveServerUrl(configured: string | undefined): Promise<string> {
  if (configured !== undefined) return configured;
  const global = (globalThis as { OPENRTM_SERVER?: unknown }).OPENRTM_SERVER;
  if (global !== undefined && global !== null) {
    if (isServerUrl(global)) return global;
    const message = "OPENRTM_SERVER must be a ws:// or wss:// URL";
    throw rtmError(LoginError.UNKNOWN, "RtmUnknownError", message);
  }
  try {
    const response = await fetch(serverJsonUrl(), { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as { websocket?: unknown };
    if (typeof body.websocket !== "string") throw new Error("no `websocket` URL in it");
    return body.websocket;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw rtmError(LoginError.UNKNOWN, "RtmUnknownError", `cannot read server.json: ${reason}`);
  }
}
