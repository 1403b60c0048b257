// The key a client address is throttled under: one per client, however it writes its address.
// Logs keep the address as it came; only the throttle's bucket uses this.
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The throttle key of a client address (the socket's peer or an X-Forwarded-For entry):
 * - without a port: `1.2.3.4:51234` and `[2001:db8::1]:443` (a new port per connection must not
 *   be a new client), brackets and an IPv6 zone (`%eth0`) dropped;
 * - IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as Node reports IPv4 peers on a dual-stack socket) as the
 *   IPv4 address;
 * - any other IPv6 address as its /64 prefix, `2001:db8:0:0::/64`: a client is given a whole /64
 *   and picks a new address in it at will.
 * Anything else (not an address) is returned trimmed, as it came.
 */
export function addressKey(address: string): string {
  const host = withoutPort(address.trim());
  if (isIPv4(host)) return host;
  const bare = host.replace(/%.*$/, '');
  if (!isIPv6(bare)) return address.trim();
  const words = ipv6Words(bare);
  const mapped = words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff;
  if (mapped) return [words[6] >> 8, words[6] & 0xff, words[7] >> 8, words[7] & 0xff].join('.');
  return `${words
    .slice(0, 4)
    .map((word) => word.toString(16))
    .join(':')}::/64`;
}

/** `[v6]:port`, `[v6]` and `v4:port` without their brackets and port; anything else unchanged. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const v4WithPort = /^([\d.]+):\d+$/.exec(address);
  if (v4WithPort && isIPv4(v4WithPort[1])) return v4WithPort[1];
  return address;
}

/** The eight 16-bit words of a valid IPv6 address (`::` expanded, a trailing dotted quad read). */
function ipv6Words(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[2].split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    // `::1.2.3.4` keeps its `::`; `::ffff:1.2.3.4` loses the `:` before the quad.
    text = dotted[1].endsWith('::') ? dotted[1] : dotted[1].slice(0, -1);
  }
  const hex = (part: string) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const [head, rest] = text.split('::');
  if (rest === undefined) return [...hex(head), ...tail];
  const before = hex(head);
  const after = [...hex(rest), ...tail];
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}
