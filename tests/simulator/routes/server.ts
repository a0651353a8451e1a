// Version endpoints: all three answer without a token (reference §2 "Server version", §7).
import type { Router } from "../router";

// Recorded from Synapse 1.132.0 (discovery.json): the client API advertises these.
const CLIENT_VERSIONS = {
  versions: [
    "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
    "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11",
  ],
  unstable_features: {
    "org.matrix.label_based_filtering": true,
    "org.matrix.e2e_cross_signing": true,
    "org.matrix.msc2432": true,
    "uk.half-shot.msc2666.query_mutual_rooms": true,
    "io.element.e2ee_forced.public": false,
    "io.element.e2ee_forced.private": false,
    "io.element.e2ee_forced.trusted_private": false,
    "org.matrix.msc3026.busy_presence": false,
    "org.matrix.msc2285.stable": true,
    "org.matrix.msc3827.stable": true,
    "org.matrix.msc3440.stable": true,
    "org.matrix.msc3771": true,
    "org.matrix.msc3773": false,
    "fi.mau.msc2815": false,
    "fi.mau.msc2659.stable": true,
    "org.matrix.msc3882": false,
    "org.matrix.msc3881": false,
    "org.matrix.msc3874": false,
    "org.matrix.msc3912": false,
    "org.matrix.msc3981": true,
    "org.matrix.msc3391": false,
    "org.matrix.msc4069": false,
    "org.matrix.msc4028": false,
    "org.matrix.msc4108": false,
    "org.matrix.msc4140": false,
    "org.matrix.simplified_msc3575": true,
    "uk.tcpip.msc4133": false,
    "org.matrix.msc4155": false,
  },
};

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: "/_synapse/admin/v1/server_version",
    auth: "none",
    handler: (ctx) => ({ server_version: ctx.state.version }),
  });
  router.add({
    method: "GET",
    path: "/_matrix/federation/v1/version",
    auth: "none",
    handler: (ctx) => ({ server: { name: "Synapse", version: ctx.state.version } }),
  });
  router.add({
    method: "GET",
    path: "/_matrix/client/versions",
    auth: "none",
    handler: () => structuredClone(CLIENT_VERSIONS),
  });
}
