// How clients find MAS on a delegating Synapse (mas-api.md §1.5): the stable /v1/auth_metadata from 1.138, the
// unstable MSC2965 auth_metadata and auth_issuer. All three serve what MAS's discovery document says (1.157 checks
// only that `issuer` and `account_management_uri` are strings); a MAS that cannot be reached is a 500.
import { errors, MatrixError } from "../errors";
import type { RouteContext, Router } from "../router";
import { versionAtLeast } from "./users";

function metadata(ctx: RouteContext): Record<string, unknown> {
  const meta = ctx.sim.delegation?.metadata();
  if (!meta) throw new MatrixError(500, "M_UNKNOWN", "Internal server error");
  return meta;
}

export function register(router: Router): void {
  router.add({
    method: "GET",
    path: "/_matrix/client/v1/auth_metadata",
    auth: "none",
    onlyUnderMas: true,
    handler: (ctx) => {
      if (!versionAtLeast(ctx.state.version, 1, 138)) throw errors.unrecognized();
      return metadata(ctx);
    },
  });
  router.add({ method: "GET", path: "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata", auth: "none", onlyUnderMas: true, handler: metadata });
  router.add({
    method: "GET",
    path: "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
    auth: "none",
    onlyUnderMas: true,
    handler: (ctx) => ({ issuer: metadata(ctx).issuer }),
  });
}
