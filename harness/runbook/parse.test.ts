import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { allSteps, lineAt } from './model.ts';
import { findResolution, parseRunbook } from './parse.ts';

// The user's runbook, found relative to the repository root; skipped loudly when absent.
const REFERENCE = new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url).pathname;
const haveReference = existsSync(REFERENCE);
if (!haveReference) console.warn(`SKIPPING reference-runbook parse tests: ${REFERENCE} is absent`);
const FIXTURE = new URL('../../fixtures/runbook/agent-agency-outage.md', import.meta.url).pathname;
const referenceText = haveReference ? readFileSync(REFERENCE, 'utf8') : '# absent\n## Resolution\n';
const reference = parseRunbook(referenceText, REFERENCE);
const sourceLines = referenceText.split('\n');

const section = (title: RegExp) => {
  const s = reference.sections.find((x) => title.test(x.title));
  if (!s) throw new Error(`no section ${title}`);
  return s;
};

describe.skipIf(!haveReference)('the reference runbook, unchanged', () => {
  it('maps every heading to the part of the runbook it introduces', () => {
    const kinds = Object.fromEntries(
      reference.sections.filter((s) => s.level === 2).map((s) => [s.title, s.kind]),
    );
    expect(kinds).toEqual({
      Overview: 'other',
      Prerequisites: 'other',
      Detection: 'detection',
      Investigation: 'investigation',
      Resolution: 'resolution',
      Verification: 'verification',
      Prevention: 'other',
      Escalation: 'escalation',
      'Post-Incident': 'post-incident',
      'Metrics and KPIs': 'kpis',
      'Related Runbooks': 'other',
    });
    expect(reference.title).toBe('API Outage Incident Response Runbook');
    expect(reference.warnings).toEqual([]);
  });

  it('finds the commands of each section', () => {
    const counts = Object.fromEntries(
      reference.sections.filter((s) => s.steps.length).map((s) => [s.line, s.steps.length]),
    );
    expect(counts).toEqual({
      42: 5, // Step 1: Initial Assessment
      57: 6, // Step 2: Application Layer
      75: 5, // Step 3: Infrastructure Layer
      92: 4, // Step 4: External Dependencies
      120: 4, // Scenario 1: Pod Crash Loop
      141: 5, // Scenario 2: Database
      163: 4, // Scenario 3: Rate limiting
      188: 6, // Scenario 4: Resource Exhaustion
      213: 5, // Scenario 5: Network
      235: 5, // Health Checks
      250: 2, // Performance Validation
      263: 2, // Functional Testing
      329: 1, // Post-Incident: Immediate Actions
    });
  });

  it('gives every step the line its command starts on', () => {
    for (const step of allSteps(reference)) {
      const firstLine = step.command.split('\n')[0]!.slice(0, 30);
      expect(sourceLines[step.line - 1], step.id).toContain(firstLine.split(' \\')[0]);
    }
    const lines = allSteps(reference).map((s) => s.line);
    expect(lines).toContain(160); // kubectl rollout restart deployment/agent-agency-postgres
    expect(allSteps(reference).find((s) => s.line === 160)!.command).toBe(
      'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency',
    );
  });

  it('joins backslash continuations and keeps where each source line starts', () => {
    const aws = allSteps(reference).find((s) => s.line === 100)!;
    expect(aws.command).toBe(
      "aws cloudwatch get-metric-statistics --namespace AWS/EC2 --metric-name CPUUtilization --start-time $(date -u -d '10 minutes ago' +%Y-%m-%dT%H:%M:%S) --end-time $(date -u +%Y-%m-%dT%H:%M:%S) --period 300 --statistics Average",
    );
    expect(lineAt(aws, aws.command.indexOf('-d '))).toBe(103);
    expect(lineAt(aws, aws.command.indexOf('--statistics'))).toBe(106);
    expect(aws.codeBlockLine).toBe(94);
  });

  it('keeps $(...), pipes and quotes intact', () => {
    const describePod = allSteps(reference).find((s) => s.line === 130)!;
    expect(describePod.command).toBe(
      `kubectl describe pod/$(kubectl get pods -n agent-agency -l app=agent-agency-orchestrator -o jsonpath='{.items[0].metadata.name}') -n agent-agency | grep -A 10 "Containers:"`,
    );
    expect(describePod.placeholders).toEqual([]);
  });

  it('attaches the comment that introduces a group of commands', () => {
    const steps = section(/Step 1/).steps;
    expect(steps.map((s) => s.comment)).toEqual([
      'Check overall cluster health',
      'Check overall cluster health',
      'Check API endpoint directly',
      'Check API endpoint directly',
      'Check load balancer status',
    ]);
  });

  it('finds placeholders the reader must supply', () => {
    const byLine = Object.fromEntries(
      allSteps(reference)
        .filter((s) => s.placeholders.length)
        .map((s) => [s.line, s.placeholders]),
    );
    expect(byLine).toEqual({
      54: ['TARGET_GROUP_ARN'],
      267: ['API_KEY'],
      332: ['SEVERITY', 'DURATION', 'IMPACT'],
    });
  });

  it('keeps a comment that no command follows as a note', () => {
    expect(section(/Crash Loop/).notes).toEqual([
      { text: 'Fix the issue (configuration, image, resources)', line: 135 },
    ]);
  });

  it('reads time boxes and symptoms', () => {
    expect(section(/Step 2/).timeBox).toEqual({ fromMs: 120_000, toMs: 300_000 });
    expect(section(/Step 2/).steps[0]!.timeBox).toEqual({ fromMs: 120_000, toMs: 300_000 });
    expect(section(/Step 4/).timeBox).toEqual({ fromMs: 600_000, toMs: 900_000 });
    expect(section(/Scenario 4/).symptoms).toEqual(['High CPU/memory usage', 'OOM kills', 'slow responses']);
  });

  it('extracts alerts, severities, escalation criteria and KPI targets', () => {
    expect(reference.alerts.map((a) => [a.name, a.line])).toEqual([
      ['API Health Check Failure', 20],
      ['Error Rate Spike', 21],
      ['Response Time Degradation', 22],
      ['Pod Crash Loop', 23],
    ]);
    expect(reference.alerts[1]!.condition).toBe('API error rate > 5% for 5+ minutes');
    expect(reference.severities.map((s) => [s.severity, s.impact, s.responseTimeMs])).toEqual([
      ['critical', 'Complete API outage', 300_000],
      ['high', 'Partial API degradation', 900_000],
      ['medium', 'Intermittent failures', 1_800_000],
      ['low', 'Minor performance issues', 3_600_000],
    ]);
    const outage = reference.escalation.criteria.find((c) => c.line === 295)!;
    expect(outage).toMatchObject({
      group: 'Escalate immediately if',
      text: 'Outage duration > 30 minutes',
      thresholdMs: 1_800_000,
    });
    expect(reference.escalation.criteria).toHaveLength(8);
    expect(reference.escalation.contacts.map((c) => c.level)).toEqual(['L1', 'L2', 'L3', 'L4']);
    const kpi = Object.fromEntries(reference.kpis.map((k) => [k.key, k.target]));
    expect(kpi['mttr']).toEqual({ op: '<', value: 1_800_000, unit: 'ms' });
    expect(kpi['mttd']).toEqual({ op: '<', value: 300_000, unit: 'ms' });
    expect(kpi['false-positive-rate']).toEqual({ op: '<', value: 5, unit: 'percent' });
    expect(Object.keys(kpi)).toContain('runbook-accuracy');
  });
});

describe.skipIf(!haveReference)('findResolution', () => {
  const fixture = parseRunbook(readFileSync(FIXTURE, 'utf8'), FIXTURE);

  it.each([
    ['crash ?loop', /Pod Crash Loop/, /crash loop/],
    ['database', /Database Connection/, /Database unreachable/],
    ['rate limit', /Rate Limiting/, /rate limiting/],
    ['resource exhaustion', /Resource Exhaustion/, /Resource exhaustion/],
    ['network', /Network Issues/, /Network traffic/],
  ])('/%s/ finds one section in the reference and one in the fixture', (pattern, inReference, inFixture) => {
    expect(findResolution(reference, pattern).title).toMatch(inReference);
    expect(findResolution(fixture, pattern).title).toMatch(inFixture);
  });

  it('lists the available sections when nothing matches', () => {
    expect(() => findResolution(reference, 'dns outage')).toThrow(UserError);
    expect(() => findResolution(reference, 'dns outage')).toThrow(
      /no resolution section matches \/dns outage\/i; available: "Scenario 1: Pod Crash Loop" \(line 120\)/,
    );
  });

  it('rejects an invalid pattern with a clear error', () => {
    expect(() => findResolution(reference, '(')).toThrow(/not a valid regular expression/);
  });
});

const DIFFERENT = `Payments API incident guide
===========================

Intro text.

### Triage
1. List failing pods: \`kubectl get pods -n payments --field-selector=status.phase!=Running\`
2. Check the gateway: \`curl -fsS --max-time 3 https://pay.example.com/healthz\`
3. Ask in \`#payments-oncall\`.

### Mitigation

#### Gateway returns 502
Symptoms: 502 from the edge; upstream connect errors

\`\`\`console
$ kubectl rollout restart deploy/payments-gateway -n payments
deployment.apps/payments-gateway restarted
$ kubectl rollout status deploy/payments-gateway -n payments \\
>   --timeout=60s
Waiting for deployment "payments-gateway" rollout to finish...
\`\`\`

#### Ledger lag
\`\`\`sh
# Drain the queues
for q in ledger audit; do kubectl exec deploy/payments-worker -n payments -- drain "$q"; done
POD=$(kubectl get pods -n payments -l app=ledger -o name | head -1)
kubectl logs $POD -n payments --tail=50 && echo done
\`\`\`

### Confirm recovery
\`\`\`shell
curl -fsS --max-time 3 https://pay.example.com/healthz
\`\`\`

### Owners
Team payments.

### Random stuff
\`\`\`
some output text
\`\`\`

\`\`\`bash
# only a comment here
\`\`\`
`;

describe('a runbook of another shape', () => {
  const rb = parseRunbook(DIFFERENT, 'payments.md');

  it('reads setext titles, ### sections and inherited kinds', () => {
    expect(rb.title).toBe('Payments API incident guide');
    expect(rb.sections.map((s) => [s.title, s.kind, s.level])).toEqual([
      ['Triage', 'investigation', 3],
      ['Mitigation', 'resolution', 3],
      ['Gateway returns 502', 'resolution', 4],
      ['Ledger lag', 'resolution', 4],
      ['Confirm recovery', 'verification', 3],
      ['Owners', 'other', 3],
      ['Random stuff', 'other', 3],
    ]);
    expect(rb.sections[2]!.symptoms).toEqual(['502 from the edge', 'upstream connect errors']);
  });

  it('takes inline commands from numbered lists, with the item text as comment', () => {
    expect(rb.sections[0]!.steps.map((s) => [s.command, s.comment, s.line, s.codeBlockLine])).toEqual([
      [
        'kubectl get pods -n payments --field-selector=status.phase!=Running',
        'List failing pods',
        7,
        undefined,
      ],
      ['curl -fsS --max-time 3 https://pay.example.com/healthz', 'Check the gateway', 8, undefined],
    ]);
  });

  it('strips console prompts, joins > continuations and ignores output', () => {
    expect(rb.sections[2]!.steps.map((s) => [s.command, s.line])).toEqual([
      ['kubectl rollout restart deploy/payments-gateway -n payments', 17],
      ['kubectl rollout status deploy/payments-gateway -n payments --timeout=60s', 19],
    ]);
  });

  it('keeps loops and && intact, and does not take loop or assigned variables for placeholders', () => {
    const steps = rb.sections[3]!.steps;
    expect(steps.map((s) => s.command)).toEqual([
      'for q in ledger audit; do kubectl exec deploy/payments-worker -n payments -- drain "$q"; done',
      'POD=$(kubectl get pods -n payments -l app=ledger -o name | head -1)',
      'kubectl logs $POD -n payments --tail=50 && echo done',
    ]);
    expect(steps.map((s) => s.placeholders)).toEqual([[], [], []]);
    expect(steps[1]!.defines).toEqual(['POD']);
  });

  it('reports what it cannot map, with line numbers', () => {
    expect(rb.warnings.map((w) => w.line)).toEqual([40, 41, 45]);
    expect(rb.warnings[0]!.message).toMatch(/"Random stuff" is not a runbook part/);
    expect(rb.warnings[1]!.message).toMatch(/no recognisable commands/);
    expect(rb.warnings[2]!.message).toMatch(/no commands, only comments/);
  });

  it('refuses text with no headings', () => {
    expect(() => parseRunbook('just words\n', 'notes.txt')).toThrow(/no Markdown headings; not a runbook/);
  });
});
