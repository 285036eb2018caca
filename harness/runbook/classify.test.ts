import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyStep } from './classify.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';

const REFERENCE = '/work/shared/reference/api-outage-runbook.md';
const reference = parseRunbook(readFileSync(REFERENCE, 'utf8'), REFERENCE);
const hostMap = { 'https://api.agent-agency.com': 'http://127.0.0.1:31080' };
const at = (line: number) => {
  const step = allSteps(reference).find((s) => s.line === line);
  if (!step) throw new Error(`no step at line ${line}`);
  return classifyStep(step, { hostMap });
};

describe('classifyStep on the reference runbook', () => {
  it.each([
    [46, 'diagnostic'], // kubectl get nodes
    [62, 'diagnostic'], // describe pod/$(...)
    [65, 'diagnostic'], // rollout history
    [79, 'diagnostic'], // exec ... psql SELECT 1
    [82, 'diagnostic'], // exec ... redis-cli ping
    [157, 'diagnostic'], // exec ... env | grep
    [133, 'remediation'], // scale --replicas=0
    [160, 'remediation'], // rollout restart postgres
    [173, 'remediation'], // set env
    [202, 'remediation'], // set resources
    [239, 'verification'], // curl /health in Verification
    [267, 'verification'], // POST /v1/tasks in Verification
    [332, 'post-incident'], // create configmap
  ])('line %i is %s', (line, kind) => {
    expect(at(line).kind).toBe(kind);
  });

  it('says why cloud CLIs and external hosts do not apply', () => {
    expect(at(54)).toMatchObject({
      kind: 'not-applicable',
      intent: 'diagnostic',
      reason: 'cloud-provider CLI (aws) has no counterpart in a drill',
    });
    expect(at(100).reason).toBe('cloud-provider CLI (aws) has no counterpart in a drill');
    expect(at(96)).toMatchObject({
      kind: 'not-applicable',
      reason: "external host api.openai.com is outside the drill's network",
    });
  });

  it('records which URLs the host map redirected', () => {
    expect(at(239).hostMapped).toEqual([
      { from: 'https://api.agent-agency.com/health', to: 'http://127.0.0.1:31080/health' },
    ]);
  });

  it('reads a URL in the request body or a header as data, not as a host the step talks to', () => {
    const doc = [
      '## Verification',
      '```bash',
      `curl -X POST https://api.agent-agency.com/links -H 'Referer: https://elsewhere.example' -d '{"url": "https://example.org/a"}'`,
      'curl https://example.org/a',
      '```',
    ].join('\n');
    const [post, direct] = allSteps(parseRunbook(doc, 'r.md'));
    expect(classifyStep(post!, { hostMap })).toMatchObject({ kind: 'verification' });
    expect(classifyStep(direct!, { hostMap })).toMatchObject({
      kind: 'not-applicable',
      reason: "external host example.org is outside the drill's network",
    });
  });

  it('takes the host map as input: without it the API is an external host', () => {
    const step = allSteps(reference).find((s) => s.line === 239)!;
    expect(classifyStep(step, { hostMap: {} })).toMatchObject({
      kind: 'not-applicable',
      reason: "external host api.agent-agency.com is outside the drill's network",
    });
  });

  it('a mapped LLM host makes the external check applicable', () => {
    const step = allSteps(reference).find((s) => s.line === 96)!;
    expect(classifyStep(step, { hostMap: { 'api.openai.com': 'http://127.0.0.1:4010' } }).kind).toBe(
      'diagnostic',
    );
  });
});
