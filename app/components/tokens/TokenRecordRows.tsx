/**
 * The rows of Steward's own record of a token, the same for a Synapse token and a MAS one: who it is for and the
 * note (untrusted text, hence <bdi>). The other rows differ between the two (MAS counts uses, expiry and who issued
 * it in its own way), so each page keeps those itself.
 */
export function TokenRecordRows({ issuedFor, note }: { issuedFor: string | null; note: string | null }) {
  return (
    <>
      <tr>
        <th>For whom</th>
        <td>{issuedFor ? <bdi>{issuedFor}</bdi> : <span className="muted">—</span>}</td>
      </tr>
      <tr>
        <th>Note</th>
        <td>{note ? <bdi>{note}</bdi> : <span className="muted">—</span>}</td>
      </tr>
    </>
  );
}
