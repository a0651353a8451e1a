// Bundles the production entry (server.ts and what it imports from app/, db/, server/) into build/server.js,
// so `npm start` loads plain JavaScript: no TypeScript transform at start-up (decision 001). npm packages stay
// external and are loaded from node_modules.
import { build } from "esbuild";

await build({
  entryPoints: ["server.ts"],
  outfile: "build/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
