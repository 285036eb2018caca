import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EscalationContact } from '../runbook/model.ts';
import { parseRunbook } from '../runbook/parse.ts';
import type { RunRecord } from './record.ts';
import { responseChecks, triggerTimes } from './response-times.ts';
import { syntheticRecord } from './testing/synthetic.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');
// synthetic timeline: injected 30 s after start, the first runbook step 5 s after detection
const INJECTED = T0 + 30_000;

/** A runbook of our own with four levels, read the way a drill reads the user's. */
const CONTACTS = parseRunbook(
  `# Shop outage

## Escalation

| Level | Contact | Response time |
| --- | --- | --- |
| L1 | shop on-call | within 5 minutes |
| L2 | shop lead | within 15 minutes |
| L3 | head of shop | within 30 minutes |
| L4 | shop VP | within 60 minutes |
`,
  'shop.md',
).escalation.contacts;

/** A verification round the drill saw, spliced into the record's timeline at its place. */
function withRound(r: RunRecord, atWallMs: number, failures: string[]): RunRecord {
  const round = { type: 'verify.round', passed: false, failures, at: { wallMs: atWallMs, monoMs: 0 } };
  const timeline = [...r.timeline, round].sort((a, b) => a.at.wallMs - b.at.wallMs);
  return { ...r, timeline };
}

describe('response times of the runbook escalation contacts', () => {
  it('reads four levels from the runbook table', () => {
    expect(CONTACTS.map((c) => [c.level, c.responseTimeMs])).toEqual([
      ['L1', 5 * MIN],
      ['L2', 15 * MIN],
      ['L3', 30 * MIN],
      ['L4', 60 * MIN],
    ]);
  });

  it('L1 is met when the first runbook step starts within its response time of detection, missed when not', () => {
    const r = syntheticRecord({ startedAtMs: T0, outcome: 'resolved-by-runbook', mttdMs: 60_000 });
    const [l1, ...rest] = responseChecks(r, CONTACTS);
    expect(rest).toEqual([]); // no trigger fired: nobody else was due
    expect(l1).toMatchObject({
      level: 'L1',
      status: 'met',
      because: 'detection',
      respondedAfterMs: 5_000,
      dueAtWallMs: INJECTED + 60_000,
      deadlineWallMs: INJECTED + 60_000 + 5 * MIN,
    });
    const strict: EscalationContact = { ...CONTACTS[0]!, responseTime: 'within 3 s', responseTimeMs: 3_000 };
    expect(responseChecks(r, [strict])[0]).toMatchObject({ status: 'missed', respondedAfterMs: 5_000 });
  });

  it('L1 is not measurable when nothing was detected, and control or aborted runs have no checks', () => {
    const lost = syntheticRecord({ startedAtMs: T0, outcome: 'not-detected' });
    expect(responseChecks(lost, CONTACTS)[0]).toMatchObject({ status: 'not-measurable', dueAtWallMs: null });
    expect(responseChecks(syntheticRecord({ startedAtMs: T0, control: true }), CONTACTS)).toEqual([]);
    expect(responseChecks(syntheticRecord({ startedAtMs: T0, outcome: 'aborted' }), CONTACTS)).toEqual([]);
  });

  it('each later trigger makes the next level due at its own time, with a "due by" deadline that is never judged', () => {
    const detected = INJECTED + 60_000;
    const r = withRound(
      syntheticRecord({
        startedAtMs: T0,
        outcome: 'resolved-by-runbook',
        mttdMs: 60_000,
        mttrMs: 40 * MIN,
        escalated: true,
        escalations: [
          { trigger: 'outage-duration', reason: 'outage lasted 40 min, past the 30 min threshold' },
          {
            trigger: 'investigation-box',
            reason: 'root cause unclear after 15 min: recovered 39 min after detection',
          },
          {
            trigger: 'database',
            reason: 'production database issue: database failed during the incident',
            dependencies: ['database'],
          },
        ],
      }),
      INJECTED + 20_000, // failing before detection: acted on once detected
      ['dependencies: GET /health/database answered 503'],
    );
    const [, l2, l3, l4] = responseChecks(r, CONTACTS);
    expect(l2).toMatchObject({
      level: 'L2',
      because: 'production database issue: database failed during the incident',
      dueAtWallMs: detected,
      deadlineWallMs: detected + 15 * MIN,
      status: 'not-measurable',
    });
    expect(l3).toMatchObject({
      level: 'L3',
      dueAtWallMs: detected + 15 * MIN,
      deadlineWallMs: detected + 45 * MIN,
    });
    expect(l4).toMatchObject({
      level: 'L4',
      dueAtWallMs: INJECTED + 30 * MIN,
      deadlineWallMs: INJECTED + 90 * MIN,
    });
    expect(responseChecks(r, CONTACTS).filter((c) => c.status === 'met')).toHaveLength(1); // L1 only
  });

  it('triggers at one instant are one escalation, and levels stop at the last contact', () => {
    const r = syntheticRecord({
      startedAtMs: T0,
      outcome: 'resolved-by-runbook',
      mttdMs: 60_000,
      mttrMs: 40 * MIN,
      escalations: [
        {
          trigger: 'critical-impact',
          reason: 'customer impact critical: the drill traffic saw a complete outage',
        },
        { trigger: 'outage-duration', reason: 'outage lasted 40 min, past the 30 min threshold' },
        {
          trigger: 'investigation-box',
          reason: 'root cause unclear after 15 min: recovered 39 min after detection',
        },
      ],
    });
    expect(triggerTimes(r).map((t) => t.atWallMs)).toEqual([
      INJECTED,
      INJECTED + 30 * MIN,
      INJECTED + 60_000 + 15 * MIN,
    ]);
    // a record from before escalations carried trigger ids: the reasons, with no instant
    const older = { ...r, escalations: [] };
    expect(triggerTimes(older)).toEqual(r.escalationReasons.map((reason) => ({ reason, atWallMs: null })));
    const fixture = parseRunbook(
      readFileSync(
        join(resolve(import.meta.dirname, '../..'), 'fixtures/runbook/agent-agency-outage.md'),
        'utf8',
      ),
      'agent-agency-outage.md',
    ).escalation.contacts; // L1..L3
    const levels = responseChecks(r, fixture).map((c) => [c.level, c.because.split(':')[0]]);
    expect(levels).toEqual([
      ['L1', 'detection'],
      ['L2', 'customer impact critical'],
      ['L3', 'root cause unclear after 15 min'],
      ['L3', 'outage lasted 40 min, past the 30 min threshold'],
    ]);
    expect(responseChecks(older, fixture).at(-1)).toMatchObject({ dueAtWallMs: null, deadlineWallMs: null });
  });
});
