// IPv4 addresses carried inside IPv6 ones. A webhook URL like http://[::127.0.0.1]/ or http://[2002:7f00:1::]/
// names loopback through an IPv6 form, which a range check on the IPv6 address alone lets through; these forms are
// decoded so the embedded IPv4 address is range-checked too (ssrf.ts):
//   ::a.b.c.d            IPv4-compatible (deprecated, RFC 4291 2.5.5.1)   ::/96
//   ::ffff:a.b.c.d       IPv4-mapped (RFC 4291 2.5.5.2)                   ::ffff:0:0/96
//   ::ffff:0:a.b.c.d     IPv4-translated, SIIT (RFC 2765)                 ::ffff:0:0:0/96
//   64:ff9b::a.b.c.d     NAT64 well-known prefix (RFC 6052)               64:ff9b::/96
//   64:ff9b:1::/48       NAT64 local-use prefix (RFC 8215): IPv4 in the last 32 bits
//   2002:AABB:CCDD::     6to4 (RFC 3056): IPv4 in bits 16-47                2002::/16
//   2001:0::             Teredo (RFC 4380): server IPv4 in bits 32-63, client IPv4 inverted in the last 32 bits
import { isIP } from "node:net";

/** The 16 bytes of an IPv6 address in any textual form (with or without a trailing dotted quad), or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  let s = text.replace(/%.*$/, ""); // zone id
  if (isIP(s) !== 6) return undefined;
  let tail: number[] = [];
  const v4 = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    s = s.slice(0, v4.index + 1); // up to the colon before the quad: "::" stays a gap, "x:" loses its colon
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const gap = s.indexOf("::");
  let groups: number[];
  if (gap === -1) groups = [...groupsOf(s), ...tail];
  else {
    const head = groupsOf(s.slice(0, gap));
    const rest = groupsOf(s.slice(gap + 2));
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 0) return undefined;
    groups = [...head, ...Array<number>(fill).fill(0), ...rest, ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 255;
  });
  return bytes;
}

const quad = (b: Uint8Array, at: number, invert = false) =>
  Array.from(b.subarray(at, at + 4), (x) => (invert ? x ^ 255 : x)).join(".");
const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** Every IPv4 address the IPv6 address `text` embeds under one of the forms above (empty when none). */
export function embeddedIpv4(text: string): string[] {
  const b = ipv6Bytes(text);
  if (!b) return [];
  const out: string[] = [];
  const w = (i: number) => ((b[i * 2] as number) << 8) | (b[i * 2 + 1] as number);
  if (zero(b, 0, 12)) out.push(quad(b, 12)); // IPv4-compatible (and :: / ::1, which the IPv6 list refuses anyway)
  if (zero(b, 0, 10) && w(5) === 0xffff) out.push(quad(b, 12)); // IPv4-mapped
  if (zero(b, 0, 8) && w(4) === 0xffff && w(5) === 0) out.push(quad(b, 12)); // SIIT
  if (w(0) === 0x64 && w(1) === 0xff9b && zero(b, 4, 12)) out.push(quad(b, 12)); // NAT64 well-known
  if (w(0) === 0x64 && w(1) === 0xff9b && w(2) === 1) out.push(quad(b, 12)); // NAT64 local-use
  if (w(0) === 0x2002) out.push(quad(b, 2)); // 6to4
  if (w(0) === 0x2001 && w(1) === 0) out.push(quad(b, 4), quad(b, 12, true)); // Teredo server, client
  return out;
}
