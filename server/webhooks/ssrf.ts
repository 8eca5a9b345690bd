// SSRF guard for webhook deliveries: the host is resolved here and every address is checked before any
// connection; the connection then goes to the checked address (a custom `lookup`), so a DNS answer that changes
// between the check and the connect (rebinding) cannot reach an internal address.
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { embeddedIpv4 } from "./embeddedIpv4.js";

const blocked = new BlockList();
// IPv4: "this network", private, CGNAT, loopback, link-local (cloud metadata 169.254.169.254), IETF protocol
// assignments, TEST-NETs, benchmarking, multicast, reserved, broadcast.
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net, bits, "ipv4");
}
// IPv6: unspecified, loopback, NAT64 (its embedded IPv4 is checked too, embeddedIpv4.ts), discard, IETF protocol
// assignments, unique local
// (fc00::/7, includes AWS's fd00:ec2::254 metadata), link-local, site-local, documentation, multicast.
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48], // NAT64 local-use (RFC 8215): translates into the operator's own network
  ["100::", 64],
  ["2001::", 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID; nothing a webhook receiver uses
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(net, bits, "ipv6");
}

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return blocked.check(address, "ipv4");
  // IPv4 carried inside IPv6 (mapped, compatible, SIIT, NAT64, 6to4, Teredo) is checked as IPv4 too.
  if (embeddedIpv4(address).some((v4) => blocked.check(v4, "ipv4"))) return true;
  return blocked.check(address, "ipv6");
}

export class SsrfRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SsrfRefusedError";
  }
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/** Resolves the URL's host and refuses it when any of its addresses is internal (unless allowPrivate). */
export async function resolveSafe(url: URL, allowPrivate: boolean): Promise<ResolvedTarget> {
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SsrfRefusedError(`scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw new SsrfRefusedError("credentials in webhook URLs are not allowed");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host);
  const addrs: ResolvedTarget[] = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : ((await dnsLookup(host, { all: true, verbatim: true })) as Array<{ address: string; family: number }>).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  if (!addrs.length) throw new SsrfRefusedError(`${host} does not resolve`);
  if (!allowPrivate) {
    for (const a of addrs) {
      if (isForbiddenAddress(a.address)) throw new SsrfRefusedError(`${host} resolves to a loopback, private, link-local or reserved address`);
    }
  }
  return addrs[0] as ResolvedTarget;
}
