/**
 * Exports against spreadsheet formula injection, through the real server: display names from the simulator's
 * hostile seeds plus one per dangerous first character (= + - @ tab CR), separators and quotes, go through a real
 * scan; every cell of the CSV export must be inert (no cell a spreadsheet would evaluate, also when it splits on
 * semicolons as in many locales), and the text must survive exactly apart from the neutralising apostrophes.
 * The JSON export keeps values exact (it is data for programs) and is served so no browser renders it.
 * Export routes are found by their Content-Type, so a new CSV export gets the same checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachCollectors } from "../../server/collectors";
import { TestClient } from "../helpers/http";
import { builtRoutes } from "../helpers/routes";
import { startTestSteward, type TestSteward } from "../helpers/steward";
import { HOSTILE_DISPLAYNAMES, startSimulator, type Simulator } from "../simulator/index";
import { isInertMatrixId } from "../../app/services/posture/export.server";

const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell a spreadsheet could evaluate: a formula start, unless it is a well-formed Matrix ID (issue 14, item 24). */
const DANGEROUS = { test: (cell: string) => FORMULA_START.test(cell) && !isInertMatrixId(cell) };
/** Every category, not only active accounts. */
const ALL = "?include=deactivated&include=bot&include=support&include=appservice";

/** Display names a user can set themselves (the homeserver accepts any text). */
const ATTACKS = [
  "=1+1",
  "+SUM(A1:A2)",
  "-2+3",
  "@SUM(1,2)",
  "\t=cmd|' /C calc'!A0",
  "\r=1+1",
  'Eve ",=1+1',
  "Eve;=HYPERLINK(\"http://evil.example\";\"x\")",
  "Eve\n=1+1",
];

let sim: Simulator;
let steward: TestSteward;
let c: TestClient;
/** userId → display name, as set on the homeserver. */
const names = new Map<string, string>();

/** RFC 4180 (quoted cells, doubled quotes, CRLF rows) with a chosen separator. */
function parseCsv(text: string, sep = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === sep) row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

beforeAll(async () => {
  sim = await startSimulator({ users: 30, seed: 13 });
  const victims = [...sim.state.users.values()].filter((u) => !u.admin && !u.deactivated && !u.is_guest && !u.locked && !u.user_type && !HOSTILE_DISPLAYNAMES.includes(u.displayname ?? ""));
  ATTACKS.forEach((name, i) => {
    victims[i].displayname = name;
  });
  for (const u of sim.state.users.values()) if (u.displayname) names.set(u.name, u.displayname);
  steward = await startTestSteward({ homeserverUrl: sim.url, attach: (ctx) => attachCollectors(ctx) });
  c = new TestClient(steward.url);
  expect((await c.signIn("admin", "admin", sim.url)).status).toBe(302);
  const csrf = await c.csrfToken("/security");
  for (const name of ["user-counts", "posture"]) {
    expect((await c.request(`/api/collectors/${name}`, { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": csrf } })).status).toBe(202);
    for (let i = 0; i < 300; i++) {
      const s = (await (await c.get(`/api/collectors/${name}`, { Accept: "application/json" })).json()) as { run: { status: string } | null };
      if (s.run && s.run.status !== "running") break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
afterAll(async () => {
  await steward?.close();
  await sim?.close();
});

describe("CSV exports", () => {
  const exportsFound: string[] = [];

  it("are found in the build (every route answering text/csv is checked below)", async () => {
    const resources = (await builtRoutes()).filter((r) => r.hasLoader && !r.hasComponent && !r.params.length);
    const csv: string[] = [];
    for (const r of resources) {
      const res = await c.get(r.path);
      if ((res.headers.get("content-type") ?? "").startsWith("text/csv")) csv.push(r.path);
    }
    expect(csv).toContain("/security/export.csv");
    exportsFound.push(...csv);
  });

  it("neutralise every formula-like cell and keep the text otherwise exact", async () => {
    expect(exportsFound.length).toBeGreaterThan(0);
    for (const path of exportsFound) {
      const res = await c.get(`${path}${ALL}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-disposition"), path).toMatch(/^attachment;/);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      const text = (await res.text()).replace(/^\uFEFF/, "");
      const rows = parseCsv(text);
      const [header, ...data] = rows;
      expect(data.length, path).toBeGreaterThan(20);
      for (const row of rows) {
        expect(row.length, `${path}: ${JSON.stringify(row)}`).toBe(header.length);
        for (const cell of row) expect(DANGEROUS.test(cell), `${path}: formula-like cell ${JSON.stringify(cell)}`).toBe(false);
      }
      // Each hostile display name is there, exact except for the leading apostrophe where it was needed.
      const nameCol = header.indexOf("displayname");
      const idCol = header.indexOf("user_id");
      expect(nameCol).toBeGreaterThanOrEqual(0);
      // User ids come out exactly as the homeserver spells them: no apostrophe in front (scripts read them back).
      for (const r of data) expect(r[idCol], path).toMatch(/^@[^']/);
      expect(data.filter((r) => isInertMatrixId(r[idCol])).length, path).toBe(data.length);
      const byUser = new Map(data.map((r) => [r[idCol], r[nameCol]]));
      for (const attack of [...ATTACKS, ...HOSTILE_DISPLAYNAMES]) {
        const userId = [...names].find(([, n]) => n === attack)?.[0];
        if (!userId || !byUser.has(userId)) continue;
        const neutralised = (FORMULA_START.test(attack) ? `'${attack}` : attack).replace(/;(?=[=+\-@\t\r])/g, ";'");
        expect(byUser.get(userId), JSON.stringify(attack)).toBe(neutralised);
      }
      expect(ATTACKS.filter((a) => [...byUser.values()].some((v) => v.replace(/^'/, "").replace(";'", ";") === a)).length).toBe(ATTACKS.length);
    }
  });

  it("stay inert when a spreadsheet splits on semicolons (many locales do)", async () => {
    for (const path of exportsFound) {
      const text = (await (await c.get(`${path}${ALL}`)).text()).replace(/^\uFEFF/, "");
      for (const row of parseCsv(text, ";")) {
        for (const cell of row) expect(DANGEROUS.test(cell), `${path}: formula-like cell ${JSON.stringify(cell)} when split on ";"`).toBe(false);
      }
    }
  });
});

describe("JSON export", () => {
  it("keeps values exact, as an attachment no browser renders", async () => {
    const res = await c.get(`/security/export.json${ALL}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = (await res.json()) as { users?: Array<{ user_id: string; displayname: string | null }> } | Array<{ user_id: string; displayname: string | null }>;
    const users = Array.isArray(body) ? body : body.users ?? [];
    expect(users.length).toBeGreaterThan(20);
    for (const attack of ATTACKS) {
      const userId = [...names].find(([, n]) => n === attack)![0];
      expect(users.find((u) => u.user_id === userId)?.displayname, JSON.stringify(attack)).toBe(attack);
    }
  });
});
