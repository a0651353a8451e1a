// Every API area registers its handlers here. To add an area: create routes/<area>.ts exporting
// `register(router: Router)`, and add it to this list.
import type { Router } from "../router";
import { register as auth } from "./auth";
import { register as server } from "./server";
import { register as users } from "./users";
import { register as devices } from "./devices";
import { register as federation } from "./federation";
import { register as discovery } from "./discovery";
import { register as tokens } from "./tokens";
import { register as registration } from "./registration";
import { register as keys } from "./keys";
import { register as notices } from "./notices";
import { register as delegation } from "./delegation";
import { register as actions } from "./actions";
import { register as rooms } from "./rooms";

const AREAS: Array<(router: Router) => void> = [
  auth, server, users, devices, tokens, registration, federation, discovery, keys, notices, delegation, actions, rooms,
];

export function registerAll(router: Router): void {
  for (const register of AREAS) register(router);
}
