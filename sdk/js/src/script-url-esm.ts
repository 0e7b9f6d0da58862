/** The URL of this module (the ESM build's stand-in for script-url.ts; see build.mjs). */
export const SCRIPT_URL: string | undefined = import.meta.url;
