// A runbook written by a team that never saw firedrill (fixtures/runbook/shapes/other-team.md):
// setext headings, numbered lists, admonitions, commands in HTML comments, a resolution case
// with nothing to run, a "Check it worked" section and its own targets.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lintRunbook } from './lint.ts';
import { loadManifests, type ManifestIndex } from './manifests.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';

const FILE = new URL('../../fixtures/runbook/shapes/other-team.md', import.meta.url).pathname;
const K8S = new URL('../../fixtures/k8s', import.meta.url).pathname;
const text = readFileSync(FILE, 'utf8');
/** 1-based line of the first line containing `marker`, so expectations follow the file. */
const lineOf = (marker: string): number => {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker not in file: ${marker}`);
  return i + 1;
};
const rb = parseRunbook(text, FILE);

describe('a runbook of another team', () => {
  it('reads setext headings and recognises sections by meaning', () => {
    expect(rb.title).toBe('Queue worker on-call guide');
    expect(rb.sections.map((s) => [s.title, s.kind, s.line])).toEqual([
      ['How you notice', 'detection', lineOf('How you notice')],
      ['Targets', 'kpis', lineOf('Targets')],
      ['Triage', 'investigation', lineOf('Triage')],
      ['Fix', 'resolution', lineOf('Fix')],
      ['Orchestrator stuck', 'resolution', lineOf('### Orchestrator stuck')],
      ['Queue backed up', 'resolution', lineOf('### Queue backed up')],
      ['Disk full on the database host', 'resolution', lineOf('### Disk full')],
      ['Certificate expired', 'resolution', lineOf('### Certificate expired')],
      ['Check it worked', 'verification', lineOf('Check it worked')],
    ]);
  });

  it('takes commands from numbered lists, console prompts with continuations, admonitions and blockquotes', () => {
    expect(allSteps(rb).map((s) => [s.section, s.command, s.line])).toEqual([
      ['Triage', 'kubectl get pods -n agent-agency', lineOf('See which pods')],
      [
        'Triage',
        'kubectl logs deployment/agent-agency-orchestrator -n agent-agency --tail=50',
        lineOf('$ kubectl logs'),
      ],
      ['Triage', 'curl -fsS --max-time 5 https://api.agent-agency.com/health', lineOf('Ask the API')],
      [
        'Orchestrator stuck',
        'kubectl rollout restart deployment/agent-agency-orchestrator -n agent-agency',
        lineOf('> kubectl rollout restart'),
      ],
      [
        'Queue backed up',
        'kubectl scale deployment/agent-agency-council --replicas=3 -n agent-agency',
        lineOf('kubectl scale deployment/agent-agency-council'),
      ],
      [
        'Check it worked',
        'curl -fsS --max-time 5 https://api.agent-agency.com/health',
        lineOf('Check it') + 4,
      ],
      ['Check it worked', 'kubectl get pods -n agent-agency', lineOf('Check it') + 5],
    ]);
    // the continuation line keeps its own source line
    const logs = allSteps(rb)[1]!;
    expect(logs.lineOffsets.map((o) => o.line)).toEqual([lineOf('$ kubectl logs'), lineOf('--tail=50')]);
    expect(allSteps(rb)[2]!.comment).toBe('Ask the API itself');
  });

  it('never takes a command inside an HTML comment for a step, and says so', () => {
    const commands = allSteps(rb).map((s) => s.command);
    expect(commands.some((c) => c.includes('delete'))).toBe(false);
    expect(rb.warnings).toEqual([
      {
        line: lineOf('<!--'),
        message: 'HTML comment holds commands; commented-out commands are never run as steps',
      },
    ]);
  });

  it('reads its own targets from a sentence in the Targets section', () => {
    expect(rb.kpis.map((k) => [k.key, k.target, k.line])).toEqual([
      ['mttd', { op: '<', value: 180_000, unit: 'ms' }, lineOf('detect < 3 min')],
      ['mttr', { op: '<', value: 1_200_000, unit: 'ms' }, lineOf('resolve < 20 min')],
    ]);
    expect(rb.alerts.map((a) => [a.name, a.line])).toEqual([
      ['ApiErrorBudgetBurn', lineOf('ApiErrorBudgetBurn')],
    ]);
  });
});

describe("lint of the other team's runbook", () => {
  let manifests: ManifestIndex;
  beforeAll(async () => {
    manifests = await loadManifests(K8S);
  });

  it('finds the no-op resolution case and nothing else (no "no verification section")', () => {
    const got = lintRunbook(rb, { manifests }).map((f) => [f.rule, f.severity, f.line]);
    expect(got).toEqual([
      ['parse', 'info', lineOf('<!--')],
      ['no-actionable-fix', 'error', lineOf('### Disk full')],
      // no symptoms line, no comment, no command: still a case with nothing to run
      ['no-actionable-fix', 'error', lineOf('### Certificate expired')],
    ]);
  });

  it('giving the case a command clears the finding', () => {
    const fixed = text.replace(
      'There is nothing for us to run here.',
      '\n\n```bash\nkubectl rollout restart deployment/agent-agency-postgres -n agent-agency\n```',
    );
    const got = lintRunbook(parseRunbook(fixed, FILE), { manifests }).map((f) => [f.rule, f.line]);
    expect(got).toEqual([
      ['parse', lineOf('<!--')],
      ['no-actionable-fix', fixed.split('\n').indexOf('### Certificate expired') + 1],
    ]);
  });
});
