/**
 * Which app URLs a deployed Stepwise may call. Registering an app by URL makes Stepwise fetch it
 * (a request forgery, with the API key, at any address Stepwise can reach), so outside
 * development only https:// to a public address is allowed. Names are checked as written: a
 * public DNS name that resolves to a private address is not caught here (Workers cannot resolve
 * names; on Cloudflare a Worker's fetch does not reach private networks anyway).
 */

const BLOCKED_NAMES = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa)$/i;

/** IPv4 ranges that are not public: this network, private, CGNAT, loopback, link-local, benchmarking, multicast and reserved. */
const BLOCKED_V4: [number, number][] = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0000000, 24],
  [0xc0a80000, 16],
  [0xc6120000, 15],
  [0xe0000000, 3],
];

function ipv4(host: string): number | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

const inRange = (address: number, [base, bits]: [number, number]): boolean =>
  Math.floor(address / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits));

/** Why an IPv6 literal (without brackets) is not public, or null. */
function blockedV6(host: string): string | null {
  const lower = host.toLowerCase();
  if (lower === "::" || lower === "::1") return "a loopback or unspecified address";
  if (/^f[cd]/.test(lower)) return "a private (unique local) address";
  if (/^fe[89ab]/.test(lower)) return "a link-local address";
  const mapped =
    /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1] ??
    /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)?.slice(1).join(":");
  if (mapped !== undefined) {
    const v4 = mapped.includes(".")
      ? ipv4(mapped)
      : mapped.split(":").reduce((value, hex) => value * 65536 + parseInt(hex, 16), 0);
    if (v4 !== undefined && BLOCKED_V4.some((range) => inRange(v4, range))) return "a private address (IPv4-mapped)";
  }
  return null;
}

/** Why Stepwise outside development must not call `url` (an app's, or `what` else's), or null when it may. */
export function unsafeAppUrl(url: string, what = "apps"): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a URL";
  }
  if (parsed.protocol !== "https:") return `${what} are reached over https:// outside development`;
  const host = parsed.hostname;
  if (host.startsWith("[")) {
    const reason = blockedV6(host.slice(1, -1));
    return reason ? `${host} is ${reason}` : null;
  }
  const v4 = ipv4(host);
  if (v4 !== undefined)
    return BLOCKED_V4.some((range) => inRange(v4, range)) ? `${host} is not a public address` : null;
  if (BLOCKED_NAMES.test(host) || !host.includes(".")) return `${host} is a local name`;
  return null;
}
