/**
 * The operator's view through the real server: /metrics has request-duration histograms for Steward's pages and
 * for homeserver calls (by endpoint template and status), collector durations and failures — with small label sets
 * that never carry ids; the JSON logs have one line per request (with the request id echoed as X-Request-Id) and one
 * per collector run, and no secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import type { TestSteward } from "../helpers/steward";
import { startStewardWithScheduler, type Scheduler } from "../helpers/scheduler";
import { TestClient } from "../helpers/http";
import { COLLECTORS } from "../../app/services/collectors/registry.server";

let sim: Simulator;
let steward: TestSteward;
let scheduler: Scheduler;
let client: TestClient;
let userId: string;
let token: string;
let destination: string;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

beforeAll(async () => {
  sim = await startSimulator({ users: 8, seed: 5 });
  ({ steward, scheduler } = await startStewardWithScheduler({
    homeserverUrl: sim.url,
    env: { HOMESERVER_ADMIN_TOKEN: sim.adminToken },
  }));
  await scheduler.tick();
  await scheduler.drain();
  client = new TestClient(steward.url);
  expect((await client.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
  userId = [...sim.state.users.values()].find((u) => !u.admin && !u.deactivated && !u.is_guest)!.name;
  token = [...sim.state.registrationTokens.keys()][0];
  destination = [...sim.state.federation.destinations.keys()][0];
  for (const path of ["/", "/users", `/users/${encodeURIComponent(userId)}`, "/tokens", `/tokens/${encodeURIComponent(token)}`, `/federation/${encodeURIComponent(destination)}`]) {
    expect((await client.get(path)).status, path).toBe(200);
  }
  // One failed collector run, so the failure counter has something to count.
  sim.injectFault({ kind: "status500", path: "/_synapse/admin/v1/registration_tokens" });
  const csrf = await client.csrfToken("/");
  expect((await client.request("/api/collectors/tokens", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } })).status).toBe(202);
  await scheduler.drain();
  sim.clearFaults();
}, 60_000);

afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

describe("/metrics", () => {
  let samples: Sample[];
  beforeAll(async () => {
    const res = await client.get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    samples = parseMetrics(await res.text());
  });
  const named = (name: string) => samples.filter((s) => s.name === name);

  it("has request duration histograms for Steward's pages, by route template, method and status", () => {
    const counts = named("steward_http_request_duration_seconds_count");
    const users = counts.filter((s) => s.labels.route === "routes/_app.users._index" && s.labels.method === "GET" && s.labels.status === "200");
    expect(users.length).toBe(1);
    expect(users[0].value).toBeGreaterThanOrEqual(1);
    // A user's page is labelled by its route template, never by the id in its path.
    expect(counts.some((s) => s.labels.route === "routes/_app.users.$userId" && s.labels.method === "GET")).toBe(true);
    expect(counts.some((s) => s.labels.route === "routes/login" && s.labels.method === "POST" && s.labels.status === "302")).toBe(true);
    const buckets = named("steward_http_request_duration_seconds_bucket").filter((s) => s.labels.route === "routes/_app.users._index" && s.labels.status === "200");
    expect(buckets.find((b) => b.labels.le === "+Inf")?.value).toBe(users[0].value);
    // Bucket counts are cumulative.
    const values = buckets.map((b) => b.value);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
  });

  it("has homeserver call durations by endpoint template and status", () => {
    const counts = named("steward_homeserver_request_duration_seconds_count");
    expect(counts.length).toBeGreaterThan(3);
    for (const s of counts) {
      expect(s.labels.endpoint).toMatch(/^\/[\w/{}.-]*$/);
      expect(s.labels.method).toMatch(/^(GET|POST|PUT|DELETE)$/);
      expect(s.labels.status).toMatch(/^(\d{3}|error)$/);
    }
    const endpoints = counts.map((s) => s.labels.endpoint);
    expect(endpoints.some((e) => e.startsWith("/_synapse/admin/v2/users/{"))).toBe(true); // the user page, as a template
    expect(counts.some((s) => s.labels.endpoint === "/_synapse/admin/v1/registration_tokens" && s.labels.status === "500")).toBe(true);
  });

  it("has collector durations and failures", () => {
    const durations = named("steward_collector_duration_seconds_count");
    for (const c of COLLECTORS) expect(durations.some((s) => s.labels.collector === c.name && s.labels.status === "ok"), c.name).toBe(true);
    expect(durations.find((s) => s.labels.collector === "tokens" && s.labels.status === "failed")?.value).toBe(1);
    const failures = named("steward_collector_failures_total");
    expect(failures).toEqual([{ name: "steward_collector_failures_total", labels: { collector: "tokens" }, value: 1 }]);
  });

  it("never puts ids, tokens or destinations into labels", () => {
    const secrets = [userId, encodeURIComponent(userId), token, destination, sim.adminToken, "@", "%40"];
    for (const s of samples) {
      for (const v of Object.values(s.labels)) for (const x of secrets) expect(v, `${s.name} ${JSON.stringify(s.labels)}`).not.toContain(x);
    }
    // A bounded label set: routes are Remix route ids (or `assets` / `other`).
    const routes = new Set(named("steward_http_request_duration_seconds_count").map((s) => s.labels.route));
    for (const r of routes) expect(r).toMatch(/^(routes\/[\w.$[\]-]+|root|assets|other)$/);
  });

  it("random unknown paths do not grow /metrics: they share one `other` label (issue 19, finding 4)", async () => {
    const size = async () => (await (await client.get("/metrics")).text()).length;
    await size();
    const before = await size();
    for (let i = 0; i < 150; i++) {
      const res = await fetch(`${steward.url}/probe-${i}-${Math.random().toString(36).slice(2)}/x`);
      await res.arrayBuffer();
    }
    const after = await size();
    // 150 new first segments made 150 new series (×16 lines each) before; now at most one new label set appears.
    expect(after - before).toBeLessThan(6_000);
    const text = await (await client.get("/metrics")).text();
    expect(text).not.toContain("probe-");
    expect(text).toMatch(/route="other"/);
  });
});

describe("structured logs", () => {
  const entries = () => steward.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

  it("writes one JSON line per request with the request id it echoes as X-Request-Id", async () => {
    const res = await client.get("/audit", { "X-Request-Id": "proxy-abc.123" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("proxy-abc.123");
    const own = await client.get("/federation");
    const generated = own.headers.get("x-request-id")!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    // A hostile id is cleaned before it reaches the header and the logs.
    const hostile = await client.get("/healthz", { "X-Request-Id": 'a"b\\c<d>e' });
    expect(hostile.headers.get("x-request-id")).toBe("abcde");
    // The request line is written when the response closes, which can trail the client's read on a busy machine.
    const ids = ["proxy-abc.123", generated, "abcde"];
    for (let i = 0; i < 100 && !ids.every((id) => entries().some((e) => e.msg === "request" && e.requestId === id)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const requests = entries().filter((e) => e.msg === "request");
    for (const id of ids) {
      const lines = requests.filter((e) => e.requestId === id);
      expect(lines.length, id).toBe(1);
      expect(lines[0]).toMatchObject({ level: "info", method: "GET", status: 200 });
      expect(typeof lines[0].ms).toBe("number");
    }
  });

  it("writes one line per collector run, and no secret anywhere", () => {
    const runs = entries().filter((e) => e.msg === "collector run");
    for (const c of COLLECTORS) expect(runs.filter((e) => e.collector === c.name && e.status === "ok").length, c.name).toBe(1);
    const failed = runs.filter((e) => e.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: "warn", collector: "tokens" });
    expect(String(failed[0].error)).toMatch(/500|server error/i);
    for (const r of runs) expect(typeof r.runId).toBe("number");
    const session = [...client.cookies.values()];
    for (const line of steward.logs) {
      expect(line).not.toContain(sim.adminToken);
      for (const c of session) expect(line).not.toContain(c);
    }
  });
});
