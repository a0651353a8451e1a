/**
 * The screens benchmark's baseline (bench/screens-baseline.ts): the smallest page this stack can make, built with the
 * same compiler and settings as Steward (../../remix.config.js). The benchmark copies this directory to a scratch one
 * (with a package.json naming Steward's React and Remix, and Steward's node_modules linked in) and builds it there.
 */

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  serverModuleFormat: "esm",
  serverPlatform: "node",
  browserNodeBuiltinsPolyfill: { modules: {} },
  future: { v3_fetcherPersist: true, v3_relativeSplatPath: true, v3_throwAbortReason: true, v3_lazyRouteDiscovery: true },
};
