/** Remix classic compiler (the product brief fixes it; see docs/decisions/001-stack.md). */
/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.*"],
  serverModuleFormat: "esm",
  serverPlatform: "node",
  browserNodeBuiltinsPolyfill: { modules: {} },
};
