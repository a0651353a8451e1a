// Replays recorded/sequences/actions.json (one stateful sequence recorded on Synapse 1.132.0, reference §9) in order
// on ONE simulator whose world is built by the sequence's own first steps: it creates its scratch users, logs them
// in, then acts on them. Each step must agree with the recording on status, content type, errcode, error text and
// shape; where the value is the point of the step (which devices remain, the user's flags after an action) the values
// must agree too. The `user` token of a step is the one its name describes (see USER_TOKEN).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import { jsonType, shapeDiff } from "./shape";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FILE = path.resolve(repoRoot, "../shared/reference/recorded/sequences/actions.json");

interface Step {
  name: string;
  request: { method: string; path: string; body?: unknown; auth: "admin" | "user" | "none" | "bad" };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

if (!fs.existsSync(FILE)) throw new Error(`recorded sequence not found at ${FILE}`);
const STEPS = JSON.parse(fs.readFileSync(FILE, "utf8")) as Step[];

/** Which login's token a `user` step sent, by the device id that login asked for (from the step's name). */
const USER_TOKEN: Record<string, string> = {
  "the deleted device's token no longer works (whoami)": "OLDDEV",
  "a locked user's existing token (whoami)": "PHONEDEV",
  "old token after reset_password with logout_devices (whoami)": "PHONEDEV",
};

/** Fields of the single-user shape whose values each step pins (timestamps and ids differ per run). */
const USER_FLAGS = ["name", "admin", "deactivated", "locked", "shadow_banned", "suspended", "erased", "is_guest", "displayname"];

let sim: Simulator;
/** device id asked for at login → the access token the simulator gave. */
const tokens = new Map<string, string>();

beforeAll(async () => {
  sim = await startSimulator({ serverName: "hs.test", users: 0 });
});
afterAll(() => sim?.close());

async function send(step: Step): Promise<{ status: number; contentType: string; body: unknown }> {
  const headers: Record<string, string> = {};
  const { auth } = step.request;
  if (auth === "admin") headers.Authorization = `Bearer ${sim.adminToken}`;
  if (auth === "user") {
    const device = USER_TOKEN[step.name];
    const token = device && tokens.get(device);
    if (!token) throw new Error(`no token known for the user step "${step.name}": add it to USER_TOKEN`);
    headers.Authorization = `Bearer ${token}`;
  }
  let body: string | undefined;
  if (step.request.body !== undefined) {
    body = JSON.stringify(step.request.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(`${sim.url}${step.request.path}`, { method: step.request.method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // compared as a string
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: parsed };
}

function differences(step: Step, got: Awaited<ReturnType<typeof send>>): string[] {
  const exp = step.response;
  const out: string[] = [];
  if (got.status !== exp.status) out.push(`status: recorded ${exp.status}, got ${got.status}`);
  const ct = exp.headers["content-type"];
  if (ct && got.contentType.toLowerCase() !== ct.toLowerCase()) out.push(`content-type: recorded ${ct}, got ${got.contentType}`);
  const eb = exp.body as Record<string, unknown>;
  const gb = got.body as Record<string, unknown>;
  if (jsonType(eb) !== "object" || jsonType(gb) !== "object") return [...out, `body: recorded ${jsonType(eb)}, got ${jsonType(gb)}`];
  if ("errcode" in eb) {
    if (gb.errcode !== eb.errcode) out.push(`errcode: recorded ${eb.errcode}, got ${gb.errcode}`);
    if (gb.error !== eb.error) out.push(`error: recorded ${JSON.stringify(eb.error)}, got ${JSON.stringify(gb.error)}`);
  }
  // A user-keyed response key (suspend answers {"user_<id>_suspended": bool}) is part of the shape.
  out.push(...shapeDiff(eb, gb));
  if (Array.isArray(eb.devices)) {
    const ids = (b: Record<string, unknown>) => (b.devices as Array<{ device_id: string }>).map((d) => d.device_id);
    if (JSON.stringify(ids(gb)) !== JSON.stringify(ids(eb))) out.push(`devices: recorded ${ids(eb)}, got ${ids(gb)}`);
    if (gb.total !== eb.total) out.push(`total: recorded ${eb.total}, got ${gb.total}`);
  }
  if (typeof eb.name === "string" && "deactivated" in eb) {
    for (const k of USER_FLAGS) if (gb[k] !== eb[k]) out.push(`${k}: recorded ${JSON.stringify(eb[k])}, got ${JSON.stringify(gb[k])}`);
  }
  for (const [k, v] of Object.entries(eb)) {
    if (/^user_.*_suspended$/.test(k) && gb[k] !== v) out.push(`${k}: recorded ${v}, got ${gb[k]}`);
  }
  if (step.request.path.endsWith("/login") && exp.status === 200) {
    const asked = (step.request.body as { device_id?: string }).device_id;
    if (asked && gb.device_id !== asked) out.push(`device_id: asked ${asked}, got ${gb.device_id}`);
  }
  return out;
}

describe("recorded sequence: user and session actions (sequences/actions.json)", () => {
  it("has the steps the reference describes", () => {
    expect(STEPS.length).toBeGreaterThan(40);
    const userSteps = STEPS.filter((s) => s.request.auth === "user").map((s) => s.name);
    expect(userSteps.sort()).toEqual(Object.keys(USER_TOKEN).sort());
  });

  STEPS.forEach((step, i) => {
    it(`${String(i).padStart(2, "0")} ${step.name}`, async () => {
      const got = await send(step);
      expect(differences(step, got), `${step.request.method} ${step.request.path}`).toEqual([]);
      if (step.request.path.endsWith("/login") && got.status === 200) {
        const b = got.body as { device_id: string; access_token: string };
        tokens.set(b.device_id, b.access_token);
      }
    });
  });

  it("left the world as Synapse would: the erased user has no devices, no password and keeps no profile", () => {
    const act2 = [...sim.state.users.values()].find((u) => u.name.startsWith("@act2"))!;
    expect(act2).toMatchObject({ deactivated: true, erased: true, password: null, displayname: null });
    expect(sim.state.devices.get(act2.name)?.size ?? 0).toBe(0);
    const act1 = [...sim.state.users.values()].find((u) => u.name.startsWith("@act1"))!;
    // reset_password with logout_devices signed every device out; the later reset without it kept none to keep.
    expect([...(sim.state.devices.get(act1.name)?.keys() ?? [])]).toEqual([]);
    expect([...sim.state.tokens.values()].filter((t) => t.user_id === act1.name)).toEqual([]);
  });
});
