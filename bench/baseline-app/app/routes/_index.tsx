/** The baseline's one screen: a table of 50 rows from its loader, as many rows as Steward's users list shows. */
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";

export const ROWS = 50;

export function loader() {
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: `@user${String(i).padStart(3, "0")}:example.org`,
    name: `User ${i}`,
    created: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
    devices: i % 4,
  }));
  return json({ rows });
}

export default function Index() {
  const { rows } = useLoaderData<typeof loader>();
  return (
    <main>
      <h1>Baseline</h1>
      <table data-testid="baseline-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Name</th>
            <th>Created</th>
            <th>Devices</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <a href={`#${r.id}`}>{r.id}</a>
              </td>
              <td>{r.name}</td>
              <td>{r.created}</td>
              <td>{r.devices}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
