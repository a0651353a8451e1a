/**
 * The key per-address rate limits count a client under. IPv4 addresses as they are (an IPv4-mapped IPv6 address is
 * its IPv4 address); an IPv6 client by its /64, because one subscriber is routinely handed a whole /64 and could
 * otherwise take a fresh address for every attempt.
 */
import net from "node:net";

export function clientAddressKey(address: string | undefined): string {
  if (!address) return "unknown";
  let a = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1];
  const version = net.isIP(a);
  if (version === 4) return a;
  if (version !== 6) return "unknown";
  return `${expandIpv6(a).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case, without leading zeros. */
function expandIpv6(address: string): string[] {
  let a = address.toLowerCase().split("%")[0];
  // A trailing dotted IPv4 part becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number);
    a = a.slice(0, v4.index) + `${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill("0") : [];
  return [...h, ...fill, ...t].map((g) => (parseInt(g, 16) || 0).toString(16));
}
