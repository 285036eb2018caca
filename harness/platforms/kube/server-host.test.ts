/**
 * Where an API server is, from its URL only. The interfaces are injected so a docker bridge can
 * be described without one; loopback needs no interface at all.
 */
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { guardPolicy, refusal } from './guard.ts';
import { serverAllowed, serverHost, serverIsLocal } from './server-host.ts';

const iface = (address: string, cidr: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo =>
  ({
    address,
    cidr,
    family,
    netmask: '',
    mac: '02:42:00:00:00:01',
    internal: false,
    scopeid: 0,
  }) as NetworkInterfaceInfo;

/** A host on a LAN (/24) with a kind docker bridge, and no loopback interface listed. */
const HOST = {
  eth0: [iface('203.0.113.10', '203.0.113.10/24', 'IPv4')],
  'br-kind': [
    iface('172.18.0.1', '172.18.0.1/16', 'IPv4'),
    iface('fc00:f853:ccd:e793::1', 'fc00:f853:ccd:e793::1/64', 'IPv6'),
  ],
};

describe('serverIsLocal()', () => {
  it('takes loopback addresses and localhost, in any spelling the URL parser canonicalises', () => {
    for (const s of [
      'https://127.0.0.1:6443',
      'https://127.45.6.7:443',
      'https://[::1]:6443',
      'https://localhost:6443',
      'https://LOCALHOST',
      'https://0x7f.1:6443', // WHATWG URL turns this into 127.0.0.1
    ])
      expect(serverIsLocal(s, {}), s).toBe(true);
  });

  it("takes a kind node's address on a local bridge (IPv4 and IPv6), not the network next to it", () => {
    expect(serverIsLocal('https://172.18.0.2:6443', HOST)).toBe(true);
    expect(serverIsLocal('https://[fc00:f853:ccd:e793::3]:6443', HOST)).toBe(true);
    expect(serverIsLocal('https://172.19.0.2:6443', HOST)).toBe(false);
    // another machine on the LAN is not this machine, though its subnet is an interface's
    expect(serverIsLocal('https://203.0.113.11:6443', HOST)).toBe(false);
    expect(serverIsLocal('https://172.18.0.2:6443', {})).toBe(false);
  });

  it('refuses every name but localhost, and what is not a URL', () => {
    for (const s of [
      'https://x.invalid:6443',
      'https://kubernetes.default.svc',
      'https://localhost.evil.example',
      'https://prod.eks.amazonaws.com',
      '(no server)',
      '',
    ])
      expect(serverIsLocal(s, HOST), s).toBe(false);
  });
});

describe('serverAllowed()', () => {
  it('matches --allow-server given as the URL, the host, or host:port', () => {
    const s = 'https://x.invalid:6443';
    expect(serverHost(s)).toBe('x.invalid');
    for (const a of ['https://x.invalid:6443', 'https://x.invalid:6443/', 'x.invalid', 'X.INVALID:6443'])
      expect(serverAllowed(s, [a]), a).toBe(true);
    for (const a of ['https://x.invalid:443', 'http://x.invalid:6443', 'y.invalid', 'x.invalid:1', 'invalid'])
      expect(serverAllowed(s, [a]), a).toBe(false);
    expect(serverAllowed('https://[2001:db8::1]:6443', ['2001:db8::1'])).toBe(true);
  });
});

describe('refusal(): the guard on context and server together', () => {
  const remote = 'https://x.invalid:6443';
  it('allows kind-* and firedrill-local on this machine', () => {
    expect(
      refusal({ context: 'kind-x', server: 'https://127.0.0.1:6443' }, guardPolicy(), HOST),
    ).toBeUndefined();
    expect(
      refusal({ context: 'firedrill-local', server: 'https://127.0.0.1:6443' }, guardPolicy(), HOST),
    ).toBeUndefined();
    expect(
      refusal({ context: 'kind-kind', server: 'https://172.18.0.2:6443' }, guardPolicy(), HOST),
    ).toBeUndefined();
  });

  it('refuses kind-prod on a remote server in one line that says how to opt in', () => {
    expect(refusal({ context: 'kind-prod', server: remote }, guardPolicy(), HOST)).toBe(
      "refusing context 'kind-prod': its API server https://x.invalid:6443 is not on this machine; " +
        "pass --allow-context 'kind-prod' --allow-server 'https://x.invalid:6443' to drill it anyway",
    );
    expect(
      refusal({ context: 'firedrill-local', server: 'https://203.0.113.11:6443' }, guardPolicy(), HOST),
    ).toMatch(/is not on this machine/);
  });

  it('needs both --allow-context and --allow-server for a remote server', () => {
    const t = { context: 'kind-prod', server: remote };
    expect(refusal(t, guardPolicy({ allowContexts: ['kind-prod'] }), HOST)).toMatch(/not on this machine/);
    expect(refusal(t, guardPolicy({ allowServers: [remote] }), HOST)).toMatch(/not on this machine/);
    expect(
      refusal(t, guardPolicy({ allowContexts: ['kind-prod'], allowServers: ['y.invalid'] }), HOST),
    ).toMatch(/not on this machine/);
    expect(
      refusal(t, guardPolicy({ allowContexts: ['kind-prod'], allowServers: [remote] }), HOST),
    ).toBeUndefined();
  });

  it('checks the name first: a context off the list is refused wherever its server is', () => {
    expect(
      refusal({ context: 'prod-us-east-1', server: 'https://127.0.0.1:6443' }, guardPolicy(), HOST),
    ).toMatch(/^refusing context 'prod-us-east-1': not in the allow-list kind-\*, firedrill-local;/);
    expect(
      refusal(
        { context: 'prod-us-east-1', server: 'https://127.0.0.1:6443' },
        guardPolicy({ allowContexts: ['prod-*'] }),
        HOST,
      ),
    ).toBeUndefined();
  });
});
