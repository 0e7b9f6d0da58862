// Builds the browser SDK into src/openrtm/web/sdk/ (served by the openrtm server), and the demo
// app into src/openrtm/web/demo/ (see the end of this file):
//   agora-rtm-sdk.js      IIFE, the global `AgoraRTM` (the default export)
//   agora-rtm-sdk.min.js  the same, minified
//   agora-rtm-sdk.mjs     ESM, `export default`
//   AgoraRTM.d.ts         the types (hand-written in types/, checked by test/conformance.ts)
// The output must be the same bytes on every run (CI rebuilds and diffs): no timestamps, no
// absolute paths (paths are relative to this folder), no legal comments, no source maps.
import { build } from "esbuild";
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const outdir = "../../src/openrtm/web/sdk";

const common = {
  absWorkingDir: here,
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "browser",
  target: "es2020",
  charset: "utf8",
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
};

// A module learns its URL from `import.meta.url`, a classic script from
// `document.currentScript` (src/script-url.ts): the ESM build uses src/script-url-esm.ts.
const esmScriptUrl = {
  name: "esm-script-url",
  setup(b) {
    b.onResolve({ filter: /^\.\/script-url$/ }, (args) => ({
      path: path.join(args.resolveDir, "script-url-esm.ts"),
    }));
  },
};

const iife = {
  ...common,
  format: "iife",
  globalName: "AgoraRTM",
  // The bundle's value is the module namespace; the global is its default export (spec §1.1).
  footer: { js: "AgoraRTM = AgoraRTM.default;" },
};

await Promise.all([
  build({ ...iife, outfile: `${outdir}/agora-rtm-sdk.js` }),
  build({ ...iife, minify: true, outfile: `${outdir}/agora-rtm-sdk.min.js` }),
  build({
    ...common,
    format: "esm",
    plugins: [esmScriptUrl],
    outfile: `${outdir}/agora-rtm-sdk.mjs`,
  }),
  copyFile(path.join(here, "types/AgoraRTM.d.ts"), path.join(here, outdir, "AgoraRTM.d.ts")),
]);

// The demo app (sdk/js/demo/, served at the HTTP face's `/`) into src/openrtm/web/demo/:
// app.js (its TypeScript, bundled; it uses the SDK's global `AgoraRTM`, loaded by its own
// <script> tag as an Agora app does) beside copies of index.html and style.css.
const demoOut = "../../src/openrtm/web/demo";
await build({
  ...common,
  entryPoints: ["demo/src/main.ts"],
  format: "iife",
  outfile: `${demoOut}/app.js`,
});
await Promise.all(
  ["index.html", "style.css"].map((name) =>
    copyFile(path.join(here, "demo", name), path.join(here, demoOut, name)),
  ),
);
