/**
 * Network denies on the local platform, over real sockets: a link proxy in front of an echo
 * server. Without packet drops a deny refuses (the client is reset at once); as root with
 * iptables it drops, as a NetworkPolicy does: a new connection is never answered, an open one
 * stalls and carries on once the deny is lifted, and a harness killed mid-deny leaves rules
 * that the ledger's cleanup deletes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, replayLedgers } from '../../core/ledger.ts';
import { listenOnLoopback } from '../../core/listen.ts';
import { findBinary } from './binaries.ts';
import { StackNetwork } from './network.ts';
import { dropRulesOf, PacketDrop, packetDropProblem } from './packet-drop.ts';

const iptables = findBinary('iptables');
const dropProblem = packetDropProblem(iptables);
if (dropProblem) console.warn(`SKIPPED packet-drop denies: ${dropProblem}`);

let echo: Server;
let echoPort: number;
const echoed = new Set<Socket>();
const dir = mkdtempSync(join(tmpdir(), 'firedrill-network-'));

beforeAll(async () => {
  echo = createServer((s) => {
    echoed.add(s);
    s.on('error', () => {}); // the proxy resets it when a test ends its connection
    s.on('close', () => echoed.delete(s));
    s.pipe(s);
  });
  echoPort = await listenOnLoopback(echo);
});
afterAll(async () => {
  for (const s of echoed) s.destroy();
  await new Promise((r) => echo.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Connect and wait for the outcome: 'connected', 'reset' or 'no answer' within `ms`. */
function tryConnect(port: number, ms: number): Promise<{ outcome: string; socket?: Socket }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ outcome: 'no answer' });
    }, ms);
    s.once('error', () => {
      clearTimeout(timer);
      resolve({ outcome: 'reset' });
    });
    s.once('connect', () => {
      clearTimeout(timer);
      resolve({ outcome: 'connected', socket: s });
    });
  });
}

/** Send `text` and wait up to `ms` for its echo; undefined when none came. */
function roundTrip(s: Socket, text: string, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.off('data', onData);
      resolve(undefined);
    }, ms);
    const onData = (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString());
    };
    s.once('data', onData);
    s.write(text);
  });
}

const rulesOf = (ledger: Ledger): string[] => dropRulesOf([ledger.runId], iptables);

async function linkedNetwork(packetDrop?: (l: Ledger) => PacketDrop) {
  const ledger = Ledger.open(dir, `net-${Math.random().toString(16).slice(2, 8)}`);
  const network = new StackNetwork(() => [echoPort], packetDrop?.(ledger));
  const port = await network.link('client', 'server');
  return { ledger, network, port };
}

describe('a network deny on local', () => {
  it('without packet drops refuses: the client is reset at once', async () => {
    const { network, port } = await linkedNetwork();
    expect(network.drops).toBe(false);
    await network.apply({ name: 'cut', from: 'client', to: ['server'] });
    expect((await tryConnect(port, 2000)).outcome).toBe('reset');
    await network.remove('cut');
    const { outcome, socket } = await tryConnect(port, 2000);
    expect(outcome).toBe('connected');
    socket?.destroy();
    await network.close();
  });

  it.skipIf(dropProblem !== undefined)(
    'as root drops packets: no answer while denied, the open connection resumes when lifted',
    async () => {
      const { ledger, network, port } = await linkedNetwork((l) => new PacketDrop(iptables!, l));
      expect(network.drops).toBe(true);
      const open = (await tryConnect(port, 2000)).socket!;
      expect(await roundTrip(open, 'before', 2000)).toBe('before');

      await network.apply({ name: 'cut', from: 'client', to: ['server'] });
      expect(rulesOf(ledger)).toHaveLength(2);
      expect(ledger.pending().map((e) => e.what)).toEqual([
        expect.stringMatching(/^packet drop on 127\.0\.0\.1:\d+ \(cut client->server\)$/),
      ]);
      expect((await tryConnect(port, 1500)).outcome).toBe('no answer');
      const during = roundTrip(open, 'during', 15_000);
      await new Promise((r) => setTimeout(r, 1000));

      await network.remove('cut');
      // TCP retransmits what the drop swallowed: the same connection answers, not a new one
      expect(await during).toBe('during');
      expect(rulesOf(ledger)).toEqual([]);
      expect(ledger.pending()).toEqual([]);
      open.destroy();
      await network.close();
    },
    30_000,
  );

  it.skipIf(dropProblem !== undefined)(
    'a harness killed mid-deny leaves its rules to the ledger: cleanup deletes them',
    async () => {
      const { ledger, network, port } = await linkedNetwork((l) => new PacketDrop(iptables!, l));
      await network.apply({ name: 'cut', from: 'client', to: ['server'] });
      expect(rulesOf(ledger)).toHaveLength(2);
      // as after SIGKILL: nobody lifts the deny; the next `pnpm chaos cleanup` replays the ledger
      const result = await replayLedgers(dir, () => {}, { force: true });
      expect(result.failed).toEqual([]);
      expect(rulesOf(ledger)).toEqual([]);
      const { outcome, socket } = await tryConnect(port, 2000);
      expect(outcome).toBe('connected');
      socket?.destroy();
      await network.close(); // lifting again finds nothing and succeeds
    },
    30_000,
  );
});
