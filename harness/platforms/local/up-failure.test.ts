/**
 * A stack that cannot start fails up() with the workload, the reason and its last output, and
 * takes down what it had started: nothing pending in the ledger, no state dir left.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { sandbox, WEB_SCRIPT } from '../../testing/local-sandbox.ts';
import { createLocalPlatform } from './index.ts';

const box = sandbox('firedrill-upfail-');
afterAll(() => box.cleanup());

it('up() of a crash-looping workload fails fast with its output and leaves nothing behind', async () => {
  const web = box.write('web.mjs', WEB_SCRIPT);
  const file = box.write(
    'stack.yaml',
    `workloads:
  - name: fine
    kind: process
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}' }
    readiness: { type: http, path: / }
  - name: broken
    kind: process
    dependsOn: [fine]
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', MODE: crash }
    readiness: { type: http, path: / }
`,
  );
  const platform = createLocalPlatform({
    stackFile: file,
    ledger: box.ledger,
    backoff: { baseMs: 100, capMs: 500 },
  });
  await expect(platform.up({ stateDir: box.stateDir })).rejects.toThrow(
    /broken did not become ready: pod broken-\S+ keeps exiting \(Error exit 1\); last output:\nboom: MODE=crash/,
  );
  expect(box.ledger.pending()).toEqual([]);
  expect(readdirSync(box.stateDir)).toEqual([]);
  expect(existsSync(box.stateDir)).toBe(true);
});

it('up() of a workload that runs but never passes its probe names the probe failure and the last output', async () => {
  const file = box.write(
    'silent.yaml',
    `workloads:
  - name: deaf
    kind: process
    command: ['\${node}', '-e', 'console.log("started, not listening"); setInterval(() => {}, 1000)']
    readiness: { type: tcp }
`,
  );
  const platform = createLocalPlatform({ stackFile: file, ledger: box.ledger, readyTimeoutMs: 1500 });
  await expect(platform.up({ stateDir: box.stateDir })).rejects.toThrow(
    /deaf did not become ready: 0\/1 pods ready after 1500 ms \(pod deaf-\S+, port \d+: ECONNREFUSED\); last output:\nstarted, not listening/,
  );
  expect(box.ledger.pending()).toEqual([]);
});

it('up() of a stack bigger than its node fails at once with the scheduler message, not after the ready timeout', async () => {
  const web = box.write('web2.mjs', WEB_SCRIPT);
  const file = box.write(
    'big.yaml',
    `node: { allocatable: { cpu: 500m, memory: 1Gi } }
workloads:
  - name: wide
    kind: process
    replicas: 2
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}' }
    resources: { requests: { cpu: 300m } }
`,
  );
  const platform = createLocalPlatform({ stackFile: file, ledger: box.ledger, readyTimeoutMs: 30_000 });
  const started = performance.now();
  await expect(platform.up({ stateDir: box.stateDir })).rejects.toThrow(
    /wide did not become ready: pod wide-\S+ is Pending: 0\/1 nodes are available: 1 Insufficient cpu\. Lower its requests, or declare node\.allocatable/,
  );
  expect(performance.now() - started).toBeLessThan(15_000);
  expect(box.ledger.pending()).toEqual([]);
});
