/**
 * Where the server is. A `server` key in the client's config wins; otherwise the SDK reads
 * `server.json` next to its own script, which the openrtm server serves with the SDK:
 * `{"websocket": "ws://host:port/"}`.
 */

import { LoginError, rtmError } from "./errors";
import { SCRIPT_URL } from "./script-url";

/** The `server.json` URL: next to the script, else (inline script) next to the page. */
export function serverJsonUrl(): string {
  const base = SCRIPT_URL ?? (typeof document !== "undefined" ? document.baseURI : undefined);
  if (base === undefined) throw new Error("no script URL: set the `server` config key");
  return new URL("server.json", base).href;
}

/** Resolve the WebSocket URL: `configured`, else `server.json`'s `websocket` (login code 1). */
export async function resolveServerUrl(configured: string | undefined): Promise<string> {
  if (configured !== undefined) return configured;
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
