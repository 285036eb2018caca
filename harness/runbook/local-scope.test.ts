/**
 * Local scope: on the local platform (translated steps), curl reaches only the drill's
 * endpoints, scale is capped, and a step's timeout cancels the action it started, on a real
 * local stack of tiny Node services.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPlatform } from '../platforms/local/index.ts';
import type { LocalStack } from '../platforms/local/stack.ts';
import type { PlatformAction } from '../platforms/types.ts';
import { type Sandbox, sandbox } from '../testing/local-sandbox.ts';
import { executeSteps } from './execute.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import { type HttpRequest, translatedExecutor } from './translated-executor.ts';

/** Ready only after 1.5 s: a rollout of it takes long enough for a step to time out behind it. */
const SLOW_WEB = `
import http from 'node:http';
const server = http.createServer((req, res) => res.end(process.env.POD_NAME));
setTimeout(() => server.listen(Number(process.env.PORT), '127.0.0.1'), 1500);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const runbook = (body: string) =>
  parseRunbook(`# T\n\n## Resolution\n\n### Fix\n\n\`\`\`bash\n${body}\n\`\`\`\n`, 't.md');

describe('local steps without a stack: refused before anything is sent', () => {
  const performed: PlatformAction[] = [];
  const requests: HttpRequest[] = [];
  const executor = translatedExecutor({
    perform: async (a) => {
      performed.push(a);
      return '';
    },
    http: async (r) => {
      requests.push(r);
      return { status: 200, body: 'ok' };
    },
    namespace: 'agent-agency',
  });
  const hostMap = { 'https://api.agent-agency.com': 'http://127.0.0.1:31080' };

  it('curl reaches the drill endpoint, and no other port of this machine', async () => {
    const steps = allSteps(
      runbook(
        [
          'curl -fsS https://api.agent-agency.com/health',
          'curl -fsS http://127.0.0.1:31080/health',
          'curl -fsS http://127.0.0.1:22/',
          'curl -fsS http://localhost:9090/api/v1/query?query=up',
        ].join('\n'),
      ),
    );
    const results = await executeSteps(steps, { executor, hostMap });
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'not-runnable', 'not-runnable']);
    expect(results[2]!.error).toMatch(
      /^refused: http:\/\/127\.0\.0\.1:22 is not one of the drill's endpoints/,
    );
    expect(results[3]!.error).toMatch(/^refused: http:\/\/localhost:9090 is not one/);
    expect(requests.map((r) => r.url)).toEqual([
      'http://127.0.0.1:31080/health',
      'http://127.0.0.1:31080/health',
    ]);
  });

  it('scale is capped (default 10, configurable)', async () => {
    const steps = allSteps(
      runbook('kubectl scale deployment/agent-agency-council --replicas=11 -n agent-agency'),
    );
    const [capped] = await executeSteps(steps, { executor, hostMap });
    expect(capped).toMatchObject({ status: 'not-runnable', execution: 'none' });
    expect(capped!.error).toBe("refused: `--replicas=11` is above the drill's cap of 10 replicas");
    expect(performed).toEqual([]);
    const [allowed] = await executeSteps(steps, { executor, hostMap, policy: { maxReplicas: 20 } });
    expect(allowed!.status).toBe('passed');
    expect(performed).toEqual([{ verb: 'scale', workload: 'agent-agency-council', replicas: 11 }]);
  });
});

describe('a step timeout on a real local stack', () => {
  let box: Sandbox;
  let stack: LocalStack;
  beforeAll(async () => {
    box = sandbox();
    const web = box.write('slow-web.mjs', SLOW_WEB);
    const file = box.write(
      'stack.yaml',
      `
namespace: drill
workloads:
  - name: web
    kind: process
    replicas: 1
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', POD_NAME: '\${pod}' }
    readiness: { type: http, path: /, periodMs: 100 }
    terminationGracePeriodMs: 500
`,
    );
    const platform = createLocalPlatform({ stackFile: file, ledger: box.ledger });
    stack = (await platform.up({ stateDir: box.stateDir })) as LocalStack;
  }, 60_000);
  afterAll(async () => {
    await stack?.down();
    box?.cleanup();
  });

  it('cancels the scale it started: the workload keeps its replicas', async () => {
    const executor = translatedExecutor({ perform: (a, s) => stack.perform(a, s), namespace: 'drill' });
    const steps = allSteps(
      runbook(
        'kubectl rollout restart deployment/web -n drill\nkubectl scale deployment/web --replicas=3 -n drill',
      ),
    );
    // The scale waits behind the rollout (a new pod that needs 1.5 s to be ready) and times out.
    const results = await executeSteps(steps, { executor, hostMap: {}, timeoutMs: 300 });
    expect(results.map((r) => r.status)).toEqual(['passed', 'timed-out']);
    await stack.rolloutStatus('web');
    // Without the cancel, the queued scale would run right after the rollout.
    await new Promise((r) => setTimeout(r, 500));
    const status = await stack.status('web');
    expect(status.desiredReplicas).toBe(1);
    expect(status.pods).toHaveLength(1);
  }, 30_000);
});
