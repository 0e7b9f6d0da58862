// Fills dist/ from the browser SDK's built files, which are committed inside the Python
// package (src/openrtm/web/sdk/, written by sdk/js's `npm run build`), so that this folder
// needs no toolchain: npm runs it on `npm install <this folder>`, `npm pack` and `npm publish`.
//   dist/index.mjs    the classic script (agora-rtm-sdk.js) as an ES module, for `import`
//   dist/index.cjs    the same as CommonJS, for `require(...)`
//   dist/index.d.ts   the types (AgoraRTM.d.ts)
// Both wrap the classic script rather than agora-rtm-sdk.mjs: that one finds its server.json
// by `import.meta.url`, which means nothing once an app is bundled (bundlers warn about it).
// A bundled app names its server with `OPENRTM_SERVER` or the `server` config key.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const built = new URL("../../src/openrtm/web/sdk/", import.meta.url);

async function read(name) {
  try {
    return await readFile(new URL(name, built), "utf8");
  } catch (error) {
    throw new Error(`${name} is missing: run \`npm ci && npm run build\` in sdk/js (${error})`);
  }
}

await mkdir(`${here}dist`, { recursive: true });
// The classic script declares `var AgoraRTM` (the module object); as a CommonJS module that
// variable is local and becomes the export, as Agora's own UMD file exports it.
const script = await read("agora-rtm-sdk.js");
await writeFile(`${here}dist/index.cjs`, `${script}\nmodule.exports = AgoraRTM;\n`);
await writeFile(`${here}dist/index.mjs`, `${script}\nexport default AgoraRTM;\n`);
await writeFile(`${here}dist/index.d.ts`, await read("AgoraRTM.d.ts"));
