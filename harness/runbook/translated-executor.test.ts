/**
 * The local executor and the remediation postcondition, on the project's fixture runbook:
 * platform verbs go to a recording `perform` whose state decides health, curl steps go to a
 * real HTTP server on 127.0.0.1 through the host map.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import type { PlatformAction } from '../platforms/types.ts';
import { summarizeEffects } from './effects.ts';
import { executeSteps, type StepExecutor } from './execute.ts';
import { allSteps, type Step } from './model.ts';
import { findResolution, parseRunbook } from './parse.ts';
import { translatedExecutor } from './translated-executor.ts';

const FIXTURE = new URL('../../fixtures/runbook/agent-agency-outage.md', import.meta.url).pathname;
const fixture = parseRunbook(readFileSync(FIXTURE, 'utf8'), FIXTURE);

let server: Server;
let hostMap: Record<string, string>;
let apiHealthy = true;
const seen: { method: string; url: string; auth?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      res.statusCode =
        req.url?.startsWith('/health') && !apiHealthy ? 503 : req.method === 'POST' ? 201 : 200;
      res.end(JSON.stringify({ path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostMap = { 'https://api.agent-agency.com': `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/** A stand-in for RunningStack.perform: records actions; `fixedBy` decides when health returns. */
function fakeStack(fixedBy: (a: PlatformAction) => boolean) {
  const actions: PlatformAction[] = [];
  let healthy = false;
  return {
    actions,
    perform: async (a: PlatformAction) => {
      actions.push(a);
      if (fixedBy(a)) healthy = true;
      return `done: ${a.verb}`;
    },
    checkHealth: async () => healthy,
  };
}

describe('translatedExecutor on the fixture runbook', () => {
  it('runs the database section and names the step that restored health', async () => {
    const stack = fakeStack((a) => a.verb === 'rollout-restart' && a.workload === 'agent-agency-postgres');
    const steps = findResolution(fixture, 'database').steps;
    const results = await executeSteps(steps, {
      executor: translatedExecutor({ perform: stack.perform }),
      hostMap,
      checkHealth: stack.checkHealth,
    });
    expect(results.map((r) => [r.kind, r.status, r.execution, r.effect])).toEqual([
      ['diagnostic', 'passed', 'translated', 'not-checked'],
      ['diagnostic', 'passed', 'translated', 'not-checked'],
      ['remediation', 'passed', 'translated', 'restored-health'],
      ['diagnostic', 'passed', 'translated', 'not-checked'],
    ]);
    expect(stack.actions).toEqual([
      { verb: 'status', workload: 'agent-agency-postgres' },
      { verb: 'logs', workload: 'agent-agency-postgres', options: { tailLines: 100 } },
      { verb: 'rollout-restart', workload: 'agent-agency-postgres' },
      { verb: 'status', workload: 'agent-agency-postgres' },
    ]);
    const summary = summarizeEffects(results);
    expect(summary.restoredBy?.command).toBe(
      'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency',
    );
    expect(summary.restoredBy?.line).toBe(steps[2]!.line);
    expect(summary.noEffect).toEqual([]);
  });

  it('names the remediation steps that did nothing', async () => {
    const stack = fakeStack((a) => a.verb === 'scale');
    const results = await executeSteps(findResolution(fixture, 'crash ?loop').steps, {
      executor: translatedExecutor({ perform: stack.perform }),
      hostMap,
      checkHealth: stack.checkHealth,
      clock: new ManualClock(), // the settle wait after the no-op step passes in simulated time
    });
    const summary = summarizeEffects(results);
    expect(summary.noEffect.map((r) => r.command)).toEqual([
      'kubectl rollout undo deployment/agent-agency-orchestrator -n agent-agency',
    ]);
    expect(summary.restoredBy?.command).toBe(
      'kubectl scale deployment/agent-agency-orchestrator --replicas=3 -n agent-agency',
    );
  });

  it('gives a step time to show its effect before calling it a no-op', async () => {
    // Health comes back on the fourth poll after the restart, as an API reconnecting would.
    let polls = -1;
    let restarted = false;
    const clock = new ManualClock();
    const results = await executeSteps(findResolution(fixture, 'database').steps, {
      executor: translatedExecutor({
        perform: async (a) => {
          if (a.verb === 'rollout-restart') {
            restarted = true;
            polls = 0;
          }
          return '';
        },
      }),
      hostMap,
      clock,
      settleMs: 5000,
      settlePollMs: 500,
      checkHealth: async () => restarted && ++polls >= 4,
    });
    expect(results.map((r) => r.effect)).toEqual([
      'not-checked',
      'not-checked',
      'restored-health',
      'not-checked',
    ]);
    expect(clock.now().monoMs).toBe(1500); // three 500 ms waits, then healthy: no longer
  });

  it('does not ask for health before the first fix while the outage is in force', async () => {
    const seen: string[] = [];
    const results = await executeSteps(findResolution(fixture, 'database').steps, {
      executor: translatedExecutor({
        perform: async (a) => {
          seen.push(a.verb);
          return '';
        },
      }),
      hostMap,
      checkHealth: async () => {
        seen.push('health');
        return seen.includes('rollout-restart');
      },
      outageInForce: () => !seen.includes('rollout-restart'),
    });
    // no round before the restart (one against a hung API costs seconds); one after it
    expect(seen).toEqual(['status', 'logs', 'rollout-restart', 'health', 'status']);
    expect(results.map((r) => r.effect)).toContain('restored-health');
  });

  it('records no restoration when nothing fixes it', async () => {
    const stack = fakeStack(() => false);
    const results = await executeSteps(findResolution(fixture, 'rate limit').steps, {
      executor: translatedExecutor({ perform: stack.perform }),
      hostMap,
      checkHealth: stack.checkHealth,
      clock: new ManualClock(),
    });
    const summary = summarizeEffects(results);
    expect(summary.restoredBy).toBeUndefined();
    expect(summary.noEffect).toHaveLength(2);
  });

  it('sends curl steps to the drill endpoint with placeholders filled', async () => {
    apiHealthy = true;
    const steps = fixture.sections.find((s) => s.title === 'Functional check')!.steps;
    const results = await executeSteps(steps, {
      executor: translatedExecutor({ perform: async () => '' }),
      hostMap,
      variables: { API_KEY: 'local-key' },
    });
    expect(results.map((r) => [r.kind, r.status, r.exitCode])).toEqual([
      ['verification', 'passed', 0],
      ['verification', 'passed', 0],
    ]);
    const post = seen.find((s) => s.method === 'POST')!;
    expect(post).toMatchObject({
      url: '/v1/tasks',
      auth: 'Bearer local-key',
      body: '{"description": "post-incident functional check"}',
    });
    expect(results[0]!.translatedTo).toBe(
      `HTTP POST ${hostMap['https://api.agent-agency.com']}/v1/tasks (runbook: https://api.agent-agency.com/v1/tasks)`,
    );
    expect(results[0]!.output).toMatch(/^HTTP 201\n/);
  });

  it('fails curl -f on an HTTP error, with curl exit code 22', async () => {
    apiHealthy = false;
    const steps = fixture.sections.find((s) => s.title === 'Health')!.steps.slice(0, 1);
    const [result] = await executeSteps(steps, {
      executor: translatedExecutor({ perform: async () => '' }),
      hostMap,
    });
    apiHealthy = true;
    expect(result).toMatchObject({ status: 'failed', exitCode: 22, execution: 'translated' });
    expect(result!.error).toMatch(/^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/health$/);
  });

  it('reports what it cannot translate as not runnable on local', async () => {
    const rb = parseRunbook(
      '# T\n## Investigation\n### Look\n```bash\nkubectl top pods -n agent-agency\n```\n',
      't.md',
    );
    const [result] = await executeSteps(allSteps(rb), {
      executor: translatedExecutor({ perform: async () => '' }),
      hostMap,
    });
    expect(result).toMatchObject({
      status: 'not-runnable',
      execution: 'none',
      error: 'not runnable on local: kubectl top has no counterpart on the local platform',
    });
  });

  it('times out a platform verb that never answers', async () => {
    const steps = findResolution(fixture, 'database').steps.slice(2, 3);
    const [result] = await executeSteps(steps, {
      executor: translatedExecutor({ perform: () => new Promise<string>(() => {}) }),
      hostMap,
      timeoutMs: 50,
    });
    expect(result).toMatchObject({ status: 'timed-out', error: 'no answer after 50 ms' });
  });

  it('every step of the fixture runbook translates for local', async () => {
    const executor = translatedExecutor({ perform: async () => 'ok' });
    const results = await executeSteps(allSteps(fixture), { executor, hostMap, variables: { API_KEY: 'k' } });
    expect(results.filter((r) => r.execution === 'none').map((r) => `${r.line}: ${r.error}`)).toEqual([]);
  });
});

describe('time boxes', () => {
  it('judge each investigation step against its box, counted from the start of investigation', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    // An executor whose steps each take one simulated minute.
    const slow: StepExecutor = {
      mode: 'translated',
      run: async () => {
        clock.advance(60_000);
        return { status: 'passed', exitCode: 0, output: '', execution: 'translated' };
      },
    };
    const investigation: Step[] = fixture.sections
      .filter((s) => s.kind === 'investigation')
      .flatMap((s) => [...s.steps]);
    const results = await executeSteps(investigation, {
      executor: slow,
      hostMap,
      clock,
      timeBoxStart: start,
    });
    // Steps end at 1, 2, 3, ... minutes; boxes end at 2, 5, 10 and 15 minutes: the seventh
    // dependency check ends at minute 11, outside its 5-10 minute box.
    expect(results.map((r) => [r.timeBox?.toMs, r.timeBox?.fitted, r.durationMs])).toEqual([
      [120_000, true, 60_000],
      [120_000, true, 60_000],
      [300_000, true, 60_000],
      [300_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, true, 60_000],
      [600_000, false, 60_000],
      [900_000, true, 60_000],
      [900_000, true, 60_000],
    ]);
    clock.advance(14 * 60_000);
    const late = await executeSteps(investigation.slice(0, 1), {
      executor: slow,
      hostMap,
      clock,
      timeBoxStart: start,
    });
    expect(late[0]!.timeBox).toEqual({ fromMs: 0, toMs: 120_000, fitted: false });
  });
});

describe('output filters on local', () => {
  const env =
    'DATABASE_URL=postgres://agent-agency-postgres:5432/agent_agency\nREDIS_URL=redis://agent-agency-redis:6379\n';
  const run = (command: string) =>
    executeSteps(
      allSteps(parseRunbook(`# T\n## Investigation\n### Look\n\`\`\`bash\n${command}\n\`\`\`\n`, 't.md')),
      {
        executor: translatedExecutor({ perform: async () => env }),
        hostMap,
      },
    );

  it('applies `| grep` to what the platform printed', async () => {
    const [result] = await run(
      'kubectl exec deployment/agent-agency-orchestrator -n agent-agency -- env | grep DATABASE',
    );
    expect(result).toMatchObject({
      status: 'passed',
      output: 'DATABASE_URL=postgres://agent-agency-postgres:5432/agent_agency\n',
    });
    expect(result!.translatedTo).toContain('then `grep DATABASE`');
  });

  it('fails like grep when no line matches', async () => {
    const [result] = await run(
      'kubectl exec deployment/agent-agency-orchestrator -n agent-agency -- env | grep POOL',
    );
    expect(result).toMatchObject({ status: 'failed', exitCode: 1, error: '`grep POOL` matched no line' });
  });
});
