// A minimal fetch wrapper for tests that talk to the simulator directly (not through Steward's client).
import type { Simulator } from "./index";

export interface SimRequest {
  method?: string;
  /** `null` sends no Authorization header; default is the admin token. */
  token?: string | null;
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** An object is sent as JSON; a string verbatim. */
  body?: unknown;
  signal?: AbortSignal;
}

export interface SimResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: T;
  text: string;
}

export async function simFetch<T = any>(sim: Pick<Simulator, "url" | "adminToken">, path: string, req: SimRequest = {}): Promise<SimResponse<T>> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) qs.append(k, String(x));
  }
  const headers: Record<string, string> = {};
  const token = req.token === undefined ? sim.adminToken : req.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(`${sim.url}${path}${qs.size ? `?${qs}` : ""}`, {
    method: req.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    signal: req.signal,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** `/_synapse/admin/v2/users/<id>`-style path segment for a user id. */
export const enc = (s: string) => encodeURIComponent(s);
