/** Liveness: 200 while the process serves requests. Deliberately touches nothing else. */
export function loader() {
  return new Response(JSON.stringify({ status: "ok" }), { headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
}
