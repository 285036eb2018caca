import { describe, expect, it } from 'vitest';
import { readRoutes, routedHere } from './host-access.ts';

// /proc/net/route stores addresses as little-endian hex: 10.244.0.0/24 is 0000F40A / 00FFFFFF.
const selfBuilt = [
  { dest: 0, mask: 0 }, // default route
  { dest: 0x0000f40a, mask: 0x00ffffff }, // 10.244.0.0/24 on the pod bridge
];
const kindHost = [
  { dest: 0, mask: 0 },
  { dest: 0x000012ac, mask: 0x0000ffff }, // 172.18.0.0/16, the kind network
];

describe('routedHere: does the host route to pod IPs itself', () => {
  it('is true for a pod IP inside a route of the host (the self-built cluster)', () => {
    expect(routedHere('10.244.0.13', selfBuilt)).toBe(true);
  });
  it('is false when only the default route would carry it (kind: pods sit inside the node)', () => {
    expect(routedHere('10.244.0.13', kindHost)).toBe(false);
    expect(routedHere('10.244.1.7', selfBuilt)).toBe(false);
  });
  it('cannot judge without a route table or for IPv6, and then trusts the TCP probe', () => {
    expect(routedHere('10.244.0.13', undefined)).toBe(true);
    expect(routedHere('fd00::5', kindHost)).toBe(true);
  });
  it.runIf(process.platform === 'linux')('reads the route table of this machine', () => {
    const routes = readRoutes();
    expect(routes?.length).toBeGreaterThan(0);
    for (const r of routes ?? []) expect((r.dest & r.mask) >>> 0).toBe(r.dest);
  });
});
