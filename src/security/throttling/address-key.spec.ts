// One throttle key per client: ports dropped, IPv4-mapped IPv6 as IPv4, IPv6 by its /64.
import { addressKey } from './address-key';

describe('addressKey', () => {
  it.each<[string, string]>([
    // IPv4
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['203.0.113.7:51234', '203.0.113.7'],
    ['203.0.113.7:0', '203.0.113.7'],
    // IPv4-mapped IPv6, as Node reports IPv4 peers of a dual-stack socket
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['[::ffff:203.0.113.7]:443', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    // IPv6: its /64, `::` expanded wherever it stands
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:000a', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::a', '2001:db8:1:2::/64'],
    ['2001:db8:1::2', '2001:db8:1:0::/64'],
    ['2001:db8:1:2:3::', '2001:db8:1:2::/64'],
    ['2001::1:2:3:4:5', '2001:0:0:1::/64'],
    ['::2001:db8:1:2:3', '0:0:0:2001::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    // An embedded IPv4 address that is not a mapped one: still IPv6
    ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
    ['::203.0.113.7', '0:0:0:0::/64'],
    // Brackets and ports
    ['[2001:db8:1:2::b]:443', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::b]', '2001:db8:1:2::/64'],
    // Not an address: as it came
    ['unknown', 'unknown'],
    ['', ''],
    ['2001:db8::g', '2001:db8::g'],
    ['1.2.3', '1.2.3'],
    ['1.2.3.4:port', '1.2.3.4:port'],
  ])('%j is keyed as %j', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('gives the addresses of one /64 one key, and the next /64 another', () => {
    const inside = ['2001:db8:a:b::1', '2001:db8:a:b:ffff::', '[2001:db8:a:b::2]:8080'];
    expect(new Set(inside.map(addressKey))).toEqual(new Set(['2001:db8:a:b::/64']));
    expect(addressKey('2001:db8:a:c::1')).not.toBe(addressKey('2001:db8:a:b::1'));
  });
});
