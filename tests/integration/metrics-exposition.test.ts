/**
 * /metrics on prom-client serves every series the hand-written registry served, with the same names, labels and
 * values, plus prom-client's default process metrics (issue 13). The oracle is the old exposition code
 * (tests/helpers/metrics-before.ts): every call Steward makes on its registry is also made on the old one, and both
 * are scraped over the same database after the same traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../simulator/index";
import type { TestSteward } from "../helpers/steward";
import { startStewardWithScheduler, type Scheduler } from "../helpers/scheduler";
import { TestClient } from "../helpers/http";
import { MetricsRegistry } from "../../app/services/observability/metrics.server";
import { MetricsRegistryBefore, renderGaugesBefore } from "../helpers/metrics-before";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): { samples: Sample[]; meta: Map<string, string> } {
  const samples: Sample[] = [];
  const meta = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) {
      meta.set(`${m[1]} ${m[2]}`, m[3]);
      continue;
    }
    if (line.startsWith("#")) continue;
    const s = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!s) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (s[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: s[1], labels, value: Number(s[3]) });
  }
  return { samples, meta };
}

const key = (s: Sample) => `${s.name}{${Object.keys(s.labels).sort().map((k) => `${k}=${s.labels[k]}`).join(",")}}`;
const isProcessMetric = (name: string) => /^(process_|nodejs_)/.test(name);

let sim: Simulator;
let steward: TestSteward;
let client: TestClient;
let scheduler: Scheduler;
const before = new MetricsRegistryBefore();

beforeAll(async () => {
  // Tee every registry call of this process into the old registry, gauges included.
  const proto = MetricsRegistry.prototype;
  for (const method of ["inc", "observe", "gauge"] as const) {
    const original = proto[method] as (...args: unknown[]) => void;
    (proto as unknown as Record<string, unknown>)[method] = function (this: MetricsRegistry, ...args: unknown[]) {
      (before[method] as (...a: unknown[]) => void)(...args);
      return original.apply(this, args);
    };
  }
  sim = await startSimulator({ users: 8, seed: 11 });
  ({ steward, scheduler } = await startStewardWithScheduler({
    homeserverUrl: sim.url,
    env: { HOMESERVER_ADMIN_TOKEN: sim.adminToken },
  }));
  await scheduler.tick();
  await scheduler.drain();
  client = new TestClient(steward.url);
  expect((await client.postForm("/login", { homeserver: sim.url, mode: "token", accessToken: sim.adminToken })).status).toBe(302);
  // Each body read to the end: a response is observed when it closes, and an unread one closes whenever it likes.
  for (const path of ["/", "/users", "/tokens", "/federation", "/security", "/nowhere"]) await (await client.get(path)).text();
  await scheduler.drain();
}, 60_000);

afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

describe("/metrics on prom-client", () => {
  let now: ReturnType<typeof parse>;
  let old: ReturnType<typeof parse>;
  beforeAll(async () => {
    // The old scrape first: the /metrics request below is recorded only once it has answered.
    old = parse((await renderGaugesBefore(steward.database.db)) + (await before.render()));
    const res = await client.get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    now = parse(await res.text());
  });

  it("serves every series it served before, with the same labels and values", () => {
    // Guard against comparing two empty scrapes: the traffic above fills every kind of series.
    const oldNames = new Set(old.samples.map((s) => s.name));
    for (const name of [
      "steward_users",
      "steward_federation_destinations",
      "steward_collector_last_success_timestamp_seconds",
      "steward_http_request_duration_seconds_bucket",
      "steward_homeserver_request_duration_seconds_count",
      "steward_collector_duration_seconds_sum",
      "steward_page_cache_entries",
    ]) expect(oldNames, name).toContain(name);
    const current = new Map(now.samples.map((s) => [key(s), s.value]));
    const missing = old.samples.filter((s) => !current.has(key(s))).map(key);
    expect(missing).toEqual([]);
    const changed = old.samples.filter((s) => current.get(key(s)) !== s.value).map((s) => `${key(s)}: ${s.value} → ${current.get(key(s))}`);
    expect(changed).toEqual([]);
  });

  it("keeps each metric's help and type", () => {
    for (const [k, v] of old.meta) expect(now.meta.get(k), k).toBe(v);
  });

  it("adds nothing of Steward's own that was not there, and adds the default process metrics", () => {
    const oldKeys = new Set(old.samples.map(key));
    const added = now.samples.filter((s) => !oldKeys.has(key(s)) && !isProcessMetric(s.name)).map(key);
    expect(added).toEqual([]);
    const names = new Set(now.samples.map((s) => s.name));
    for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_eventloop_lag_seconds", "nodejs_active_handles_total", "nodejs_heap_size_used_bytes"]) {
      expect(names, name).toContain(name);
    }
    expect(now.meta.get("TYPE nodejs_gc_duration_seconds")).toBe("histogram");
    expect(now.samples.find((s) => s.name === "process_resident_memory_bytes")!.value).toBeGreaterThan(10 * 1024 * 1024);
  });
});
