import { beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from './quarterly.ts';
import { renderQuarterlyMarkdown } from './quarterly-markdown.ts';
import { readEscalationContacts } from './runbook-contacts.ts';
import { fixedHistory, RANGE } from './testing/fixed-history.ts';
import { syntheticRecord } from './testing/synthetic.ts';
import { syntheticHistory } from './testing/synthetic-history.ts';

const ctx = {
  source: 'reports/runs',
  invalid: [{ path: 'reports/runs/broken.json', reason: 'not JSON (Unexpected end of JSON input)' }],
  generatedAtMs: Date.parse('2026-04-01T09:00:00Z'),
};

describe('renderQuarterlyMarkdown() on the hand-computed history', () => {
  let md = '';
  beforeAll(async () => {
    // the records name the fixture runbook: its L1..L3 table is what the response times are checked against
    const contactsOf = await readEscalationContacts(['fixtures/runbook/agent-agency-outage.md']);
    md = renderQuarterlyMarkdown(aggregate(fixedHistory(), { ...RANGE, contactsOf }), ctx);
  });

  it('states the period, what was read and what was skipped', () => {
    expect(md).toMatch(/^# Reliability review: 2026-01-01 to 2026-03-31\n/);
    expect(md).toContain(
      '15 run records from `reports/runs`: 10 fault runs (1 aborted), 5 control runs, 0 counterfactual runs, across 3 scenarios.',
    );
    expect(md).toContain('- `reports/runs/broken.json`: not JSON (Unexpected end of JSON input)');
  });

  it('names the runbook the review covers', () => {
    expect(md).toContain('\n\nRunbook reviewed: `fixtures/runbook/agent-agency-outage.md` (15 runs).\n\n');
  });

  it("puts every runbook KPI next to the runbook's target or says it has none", () => {
    // Overall MTTD: db 30,60,120,180,240,600 + crash-loop 90,90 s -> mean 1410/8 = 176.25 s,
    // p95 rank 6.65 -> 240 + 0.65*360 = 474 s.
    expect(md).toContain(
      '| MTTD (mean time to detection) | < 5m 00s | mean 2m 56s, p95 7m 54s (n=8) | ✅ | detection rate 88.9% (8/9) |',
    );
    expect(md).toContain(
      '| False-positive rate | < 5% | 40.0% (2/5) | ❌ | from control runs (no fault injected) |',
    );
    expect(md).toContain(
      '| Customer impact duration | no target in runbook (tracked) | 100.2 min total | — |',
    );
    expect(md).toContain('| Runbook accuracy | no target in runbook | 44.4% (4/9) | — |');
    expect(md).toContain('| Escalation rate | no target in runbook | 22.2% (2/9) | — |');
    expect(md).toContain('| Recurrence rate (30 days) | no target in runbook | 60.0% (3/5) | — |');
    expect(md).toContain(
      '| Post-mortem quality | no target in runbook (score out of 5) | not measured by drills | — |',
    );
  });

  it('gives per-scenario MTTD/MTTR mean, p50, p95 against targets and the process KPIs', () => {
    expect(md).toContain(
      '| db-outage | 6 | 3m 25s | 2m 30s | 8m 30s | < 5m 00s | ✅ | 5 | 10m 18s | 10m 00s | 19m 00s | < 30m 00s | ✅ |',
    );
    expect(md).toContain(
      // critical impact asks for detection within 5 min: 30, 60, 120, 180 and 240 s made it; 600 s and not-detected did not
      // L1: the first runbook step 5 s after detection in all 5 runs that detected and ran the runbook
      // (db-5 was not detected, db-8 healed first); L2 due in the two escalated runs
      '| db-outage | 8 | 1 | 85.7% (6/7) | 42.9% (3/7) | 28.6% (2/7) | 75.0% (3/4) | 83.5 min | critical | 71.4% (5/7) | 100.0% (5/5) | L2 ×2 | 2 never recovered |',
    );
    expect(md).toContain(
      '| crash-loop | 2 | 0 | 100.0% (2/2) | 50.0% (1/2) | 0.0% (0/2) | 0.0% (0/1) | 16.7 min | critical | 100.0% (2/2) | 100.0% (2/2) | none | 1 never recovered |',
    );
  });

  it("checks the runbook's escalation contacts: L1 met or missed, the levels above only due by", () => {
    expect(md).toContain("### Response times (the runbook's escalation contacts)");
    // L1 deadline = detection + 5 min: MTTDs 30 s .. 10 min over the 7 detected runs
    expect(md).toContain(
      '| L1 | Platform on-call | within 5 minutes | `fixtures/runbook/agent-agency-outage.md:228` | 9 | 7 | 0 | 2 | 6m 45s / 15m 00s |',
    );
    // db-6 lasted past the 30 min threshold: L2 due then, answer due 15 min later; db-3's
    // "not resolved" has no verify phase end in its synthetic timeline, so no deadline
    expect(md).toContain(
      '| L2 | DevOps lead | within 15 minutes | `fixtures/runbook/agent-agency-outage.md:229` | 2 | 0 | 0 | 2 | 45m 00s / 45m 00s |',
    );
    expect(md).toContain(
      '| L3 | Head of engineering | within 30 minutes | `fixtures/runbook/agent-agency-outage.md:230` | 0 |',
    );
  });

  it('says so when the runbook has no readable escalation contacts', () => {
    const without = renderQuarterlyMarkdown(aggregate(fixedHistory(), RANGE), ctx);
    expect(without).toContain(
      '_No escalation contacts table with response times could be read from fixtures/runbook/agent-agency-outage.md._',
    );
  });

  it('counts false positives per alert and unexpected alerts in fault runs', () => {
    expect(md).toContain('| control | 5 | 2 | 40.0% (2/5) |');
    expect(md).toContain('| APIErrorRateHigh | 2 | 40.0% (2/5) |');
    expect(md).toContain('| APIResponseTimeDegraded | 1 | 20.0% (1/5) |');
    expect(md).toContain('| RedisUnreachable | 1 | 10.0% (1/10) |');
  });

  it('lists runbook findings with line numbers and how often', () => {
    expect(md).toContain(
      '| step failed | `fixtures/runbook/agent-agency-outage.md` | L160 | Scenario 2: Database Connection Issues | `kubectl rollout restart deployment/agent-agency-postgres -n agent-agency` | 1 of 5 runs | db-outage |',
    );
    expect(md).toContain(
      '| missing from runbook (extra step needed) | `fixtures/runbook/agent-agency-outage.md` | not in runbook | Scenario 2: Database Connection Issues | `scale agent-agency-postgres to 1 replica` | 1 of 1 runs | db-outage |',
    );
  });

  it('shows the weekly trend and explains every number', () => {
    // Week of Jan 5: db-1,2,3,7 and cl-1,2. MTTD 60,120,180,90,90 -> 108 s; MTTR 300,600,400 -> 433 s;
    // resolved-by-runbook 3 of 5 with a verdict; controls c1..c5, two fired.
    expect(md).toContain('| 2026-01-05 | 6 | 1m 48s | 7m 13s | 60% | 5 | 2 |');
    for (const term of ['runbook accuracy', 'false-positive rate', 'recurrence (30 d)', 'escalation rate'])
      expect(md).toContain(`- **${term}**:`);
  });
});

describe('renderQuarterlyMarkdown() on a generated quarter', () => {
  const start = Date.parse('2026-01-05T00:00:00Z');
  const md = renderQuarterlyMarkdown(
    aggregate(syntheticHistory({ startMs: start }), { sinceMs: start, now: start + 91 * 86_400_000 }),
    { ...ctx, invalid: [] },
  );

  it('says whether the runbook was needed, from counterfactual runs', () => {
    expect(md).toContain('| crash-loop | 1 | unresolved ×1 | yes: it never recovered without remediation |');
  });

  it('never lets runbook text become markup', () => {
    // The generator puts '<script>alert("x")</script> | piped' into a step error shown in the findings.
    expect(md).toContain('&lt;script>alert("x")&lt;/script>');
    expect(md).not.toMatch(/<script/i);
  });
});

describe('renderQuarterlyMarkdown() header: which runbooks', () => {
  const other = (runId: string, sha256: string) => {
    const r = syntheticRecord({
      runId,
      startedAtMs: Date.parse('2026-02-02T02:00:00Z'),
      outcome: 'resolved-by-runbook',
    });
    return { ...r, runbook: { ...r.runbook, file: '/srv/shared/api-outage-runbook.md', sha256 } };
  };
  const records = [...fixedHistory(), other('o1', 'v1'), other('o2', 'v2')];

  it('lists every runbook when the records cover several, and says how to review one', () => {
    const md = renderQuarterlyMarkdown(aggregate(records, RANGE), ctx);
    expect(md).toContain(
      'Runbooks covered: `fixtures/runbook/agent-agency-outage.md` (15 runs), `/srv/shared/api-outage-runbook.md` (2 runs, 2 versions); `pnpm report --runbook <path>` reviews one.',
    );
  });

  it('states the --runbook selection it was made with', () => {
    const selected = records.filter((r) => r.runbook.file.startsWith('/srv/'));
    const md = renderQuarterlyMarkdown(aggregate(selected, RANGE), {
      ...ctx,
      runbookFilter: '../shared/api-outage-runbook.md',
    });
    expect(md).toContain(
      'Runbook reviewed (--runbook ../shared/api-outage-runbook.md): `/srv/shared/api-outage-runbook.md` (2 runs, 2 versions).',
    );
    expect(md).toContain('2 run records from');
  });
});
