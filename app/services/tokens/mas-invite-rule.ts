/**
 * The one rule for how an invitation reaches MAS's registration (issue 16 item 5, decision 025): does the invite
 * link carry the token, or does the invitee paste it?
 *
 * MAS v1.22.0 cannot take a registration token from a link: the token step is a form whose URL is made per attempt,
 * and no page reads a token from the query (mas-api.md §4.3). Unreleased work gives tokens an `invite_url` (§4.5),
 * but no released version has it. So `MAS_TOKEN_LINK_SINCE` is null and every MAS gets the paste flow. When a MAS
 * release ships invite links, set it to that release: tokens of that MAS (and newer) are then sent with MAS's own
 * `invite_url`, and the paste flow stays for older ones and for any token MAS gives no link for.
 *
 * Plain module (no I/O), so the rule is unit-tested over versions (tests/unit/mas-invite-rule.test.ts).
 */

export interface MasVersion {
  major: number;
  minor: number;
  patch: number;
  /** "rc.1" in "v1.23.0-rc.1"; null for a release (or a build made after one, see parseMasVersion). */
  prerelease: string | null;
}

/** First MAS release whose registration takes the token from a link. None as of v1.22.0 (mas-api.md §4.5). */
export const MAS_TOKEN_LINK_SINCE: string | null = null;

/**
 * MAS's `/api/admin/v1/version` is a `git describe` string: "v1.22.0", "v1.23.0-rc.1", or "v1.22.0-3-gf28451c"
 * (three commits after v1.22.0, a development build). A development build counts as the release it follows: it
 * may hold unreleased work, and Steward relies only on what a release shipped. null for anything else.
 */
export function parseMasVersion(raw: string | null | undefined): MasVersion | null {
  if (typeof raw !== "string") return null;
  const m = /^v?(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:-(\d+)-g[0-9a-f]{4,40}|-(?!dirty$)([0-9A-Za-z.]{1,40}?)(?:-\d+-g[0-9a-f]{4,40})?)?(?:-dirty)?$/.exec(raw.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[5] ?? null };
}

/** Negative, zero or positive like a sort comparator; a pre-release sorts before its release. */
export function compareMasVersions(a: MasVersion, b: MasVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === null) return 1;
  if (b.prerelease === null) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

export type MasInviteStyle = "paste" | "link";

/**
 * "link" only when MAS's version is known and at least the first release with invite links; an unknown version
 * (older than v1.4.0, unreadable, or not asked) gets "paste", which works with every MAS.
 */
export function masInviteStyle(version: string | null | undefined, since: string | null = MAS_TOKEN_LINK_SINCE): MasInviteStyle {
  if (since === null) return "paste";
  const have = parseMasVersion(version);
  const need = parseMasVersion(since);
  if (!have || !need) return "paste";
  return compareMasVersions(have, need) >= 0 ? "link" : "paste";
}
