/**
 * Evidence is not a defect: a diagnostic that fails the way the outage makes it fail, while the
 * fault is in force, is marked `showed-outage`; one that fails for a reason of its own is not.
 * The curl steps go through the real local executor to a real closed port and a real HTTP
 * server answering 503.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../core/ports.ts';
import { failedLikeTheOutage } from './evidence.ts';
import { executeSteps } from './execute.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import { translatedExecutor } from './translated-executor.ts';

let server: Server;
let down: string;
let failing: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.statusCode = 503;
    res.end('{"status":"unhealthy"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  failing = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  down = `http://127.0.0.1:${await freePort()}`; // nothing listens: connection refused
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const RUNBOOK = [
  '# Outage',
  '## Investigation',
  '### Look (0-2 minutes)',
  '```bash',
  'curl -f https://api.example.test/health',
  'curl -f https://status.example.test/health',
  'kubectl get virtualservices -n agent-agency',
  '```',
  '## Resolution',
  '### Fix it',
  '```bash',
  'kubectl rollout restart deployment/agent-agency-orchestrator -n agent-agency',
  '```',
  '',
].join('\n');

async function drill(outageInForce: boolean) {
  const runbook = parseRunbook(RUNBOOK, 'outage.md');
  const steps = allSteps(runbook).filter((s) => s.section.startsWith('Look'));
  return executeSteps(steps, {
    executor: translatedExecutor({ perform: async () => 'ok\n' }),
    hostMap: { 'https://api.example.test': down, 'https://status.example.test': failing },
    outageInForce: () => outageInForce,
    timeoutMs: 5_000,
  });
}

describe('diagnostics that showed the outage', () => {
  it('marks connection refused and HTTP 503 as evidence while the fault is in force, not an unknown resource type', async () => {
    const results = await drill(true);
    expect(results.map((r) => [r.command.split(' ').slice(0, 3).join(' '), r.status, r.evidence])).toEqual([
      ['curl -f https://api.example.test/health', 'failed', 'showed-outage'],
      ['curl -f https://status.example.test/health', 'failed', 'showed-outage'],
      ['kubectl get virtualservices', 'not-runnable', undefined],
    ]);
  });

  it('is a plain failure when nothing is known to be broken (control run, or after recovery)', async () => {
    const results = await drill(false);
    expect(results.slice(0, 2).map((r) => [r.status, r.evidence])).toEqual([
      ['failed', undefined],
      ['failed', undefined],
    ]);
  });
});

describe('failedLikeTheOutage()', () => {
  const failed = (exitCode: number | null, error = '', output = '') =>
    ({ status: 'failed', exitCode, error, output }) as const;

  it.each([
    ['curl -f https://api/health', failed(7, 'curl: (7) Failed to connect to api port 443')],
    ['curl -fsS https://api/health', failed(22, 'curl: (22) The requested URL returned error: 503')],
    [
      'nc -zv agent-agency-postgres 5432',
      failed(1, 'nc: connect to agent-agency-postgres port 5432 (tcp) failed: Connection refused'),
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -- redis-cli ping',
      failed(1, 'error: unable to upgrade connection: container not found ("orchestrator")'),
    ],
    [
      'kubectl exec deploy/agent-agency-postgres -- psql -c "SELECT 1;"',
      failed(2, 'psql: error: could not connect to server: No such file or directory'),
    ],
    ['kubectl exec deployment/x -- nc -z db 5432', failed(null, 'tcp x -> db: no answer within 2 s')],
    // kube, literal: a silent nc -z that could not connect, as kubectl exec reports it
    [
      'kubectl exec deployment/x -n agent-agency -- nc -z -w 3 agent-agency-postgres 5432',
      failed(1, 'command terminated with exit code 1'),
    ],
  ])('%s is evidence', (command, run) => {
    expect(failedLikeTheOutage(command, run)).toBe(true);
  });

  it.each([
    [
      'kubectl get virtualservices',
      failed(1, 'error: the server doesn\'t have a resource type "virtualservices"'),
    ],
    [
      'kubectl describe hpa x',
      failed(1, 'Error from server (NotFound): horizontalpodautoscalers "x" not found'),
    ],
    ['curl -f https://api/health', failed(3, 'curl: (3) URL using bad/illegal format or missing URL')],
    ['kubectl exec deployment/x -- env', failed(1, 'command terminated with exit code 1')],
    ['aws elbv2 describe-target-health', failed(null, 'missing variable TARGET_GROUP_ARN')],
    [
      'curl -f https://api/health',
      { status: 'timed-out', exitCode: null, error: 'timed out', output: '' } as const,
    ],
  ])('%s is a finding of its own', (command, run) => {
    expect(failedLikeTheOutage(command, run)).toBe(false);
  });
});
