import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  DEFAULT_ALERT_SOURCE,
  durationMs,
  loadAlertSource,
  loadProfileTiming,
  renderRuleFile,
} from './alert-source.ts';
import { ALERTS } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-alertsrc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The real source with one change applied, written to a temp file. */
type SourceDoc = {
  rules: { alert: string; expr: string }[];
  profiles: Record<string, { alerts: Record<string, { for: string }> }>;
};
const variant = (change: (doc: SourceDoc) => void): string => {
  const doc = parse(readFileSync(DEFAULT_ALERT_SOURCE, 'utf8')) as SourceDoc;
  change(doc);
  const file = join(dir, `variant-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
};

describe('alert source', () => {
  it('parses Prometheus durations with one unit', () => {
    expect([durationMs('500ms'), durationMs('15s'), durationMs('5m'), durationMs('1h')]).toEqual([
      500, 15_000, 300_000, 3_600_000,
    ]);
    expect(() => durationMs('5 minutes')).toThrow('"5 minutes" is not a duration like 15s or 5m');
  });

  it('gives probes the same timing the rule files carry', () => {
    const fast = loadProfileTiming('fast');
    expect(fast.scrapeIntervalMs).toBe(1000);
    expect(fast.alerts[ALERTS.errorRateHigh]).toEqual({
      windowMs: 15_000,
      forMs: 5_000,
      params: { errorRatio: 0.05, p95Seconds: 2 },
    });
    expect(fast.alerts[ALERTS.crashLoop].params.minRestarts).toBe(2);
    expect(loadProfileTiming('production').alerts[ALERTS.errorRateHigh].forMs).toBe(300_000);
  });

  it('rejects an unknown placeholder, naming the rule and profile', () => {
    const file = variant((d) => {
      d.rules[0]!.expr = 'up > {{nope}}';
    });
    expect(() => renderRuleFile(loadAlertSource(file), 'fast')).toThrow(
      'rule APIHealthCheckFailure (profile fast): unknown placeholder {{nope}}',
    );
  });

  it('rejects a profile missing an alert and a bad duration, naming the field', () => {
    const missing = variant((d) => {
      delete d.profiles.fast!.alerts.LLMRateLimited;
    });
    expect(() => loadAlertSource(missing)).toThrow(/profiles\.fast\.alerts/);
    const badFor = variant((d) => {
      d.profiles.production!.alerts.RedisUnreachable!.for = 'soon';
    });
    expect(() => loadAlertSource(badFor)).toThrow(/profiles\.production\.alerts\.RedisUnreachable\.for/);
    expect(() => loadAlertSource(join(dir, 'absent.yaml'))).toThrow(/cannot read alert source/);
  });

  it('takes its alert names from its rules: timing without a rule is refused', () => {
    const renamed = variant((d) => {
      d.rules[0]!.alert = 'ShopDown';
      for (const p of Object.values(d.profiles)) p.alerts.ShopDown = p.alerts.APIHealthCheckFailure!;
    });
    expect(() => loadAlertSource(renamed)).toThrow(/rules: no rule for APIHealthCheckFailure/);
    const alone = variant((d) => {
      d.rules[0]!.alert = 'ShopDown';
      for (const p of Object.values(d.profiles)) {
        p.alerts.ShopDown = p.alerts.APIHealthCheckFailure!;
        delete p.alerts.APIHealthCheckFailure;
      }
    });
    expect(Object.keys(loadProfileTiming('fast', alone).alerts)).toContain('ShopDown');
  });
});
