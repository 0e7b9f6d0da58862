/**
 * The URL this script was loaded from, read once at load time: `document.currentScript` is
 * only set while a classic `<script>` first runs. (The ESM build swaps in script-url-esm.ts.)
 */
export const SCRIPT_URL: string | undefined =
  typeof document !== "undefined" && document.currentScript instanceof HTMLScriptElement
    ? document.currentScript.src || undefined
    : undefined;
