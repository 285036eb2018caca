import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freePort } from './ports.ts';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);

it('hands out ports below the ephemeral and NodePort ranges that a service can then listen on (all addresses)', async () => {
  const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThan(Math.min(ephemeralStart, 30000));
  }
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '0.0.0.0', port: ports[0] }, resolve);
  });
  server.close();
});
