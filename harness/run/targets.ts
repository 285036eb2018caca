/**
 * The MTTD/MTTR targets a drill is judged against, and where each came from: a `--target-*`
 * flag wins, then the runbook under test (its KPI section: "MTTD ...: Target < 5 minutes",
 * "detect < 3 min, resolve within 20 minutes"), then the scenario's own.
 */
import { UserError } from '../core/errors.ts';
import type { KpiTarget, Runbook } from '../runbook/model.ts';
import type { Scenario } from '../scenario/schema.ts';

export type TargetSource = 'runbook' | 'scenario' | 'flag';

export interface ResolvedTargets {
  readonly mttdMs: number;
  readonly mttrMs: number;
  readonly source: {
    readonly mttd: TargetSource;
    readonly mttr: TargetSource;
    /** Runbook line of each target that came from the runbook. */
    readonly mttdLine?: number;
    readonly mttrLine?: number;
  };
}

export interface TargetOverrides {
  readonly mttdMs?: number;
  readonly mttrMs?: number;
}

/** What a KPI bounds, by meaning: detection (MTTD) or resolution (MTTR). */
const MEANS: Record<'mttd' | 'mttr', RegExp> = {
  mttd: /\b(mttd|detect\w*|notic\w*)\b/i,
  mttr: /\b(mttr|resol\w*|recover\w*|restor\w*|repair\w*)\b/i,
};

/** The runbook's own time target for detection or resolution, if it states one as an upper bound. */
export function runbookTarget(runbook: Runbook, which: 'mttd' | 'mttr'): KpiTarget | undefined {
  const bounded = runbook.kpis.filter(
    (k) => k.target?.unit === 'ms' && (k.target.op === '<' || k.target.op === '<='),
  );
  return (
    bounded.find((k) => k.key === which) ??
    bounded.find((k) => MEANS[which].test(`${k.key} ${k.name}`) && !MEANS[other(which)].test(k.key))
  );
}
const other = (which: 'mttd' | 'mttr') => (which === 'mttd' ? 'mttr' : 'mttd');

/** Flag, then runbook, then scenario, for each of MTTD and MTTR. */
export function resolveTargets(
  runbook: Runbook | undefined,
  scenario: Pick<Scenario, 'targets'>,
  overrides: TargetOverrides = {},
): ResolvedTargets {
  const pick = (which: 'mttd' | 'mttr') => {
    const flag = which === 'mttd' ? overrides.mttdMs : overrides.mttrMs;
    if (flag !== undefined) return { ms: flag, source: 'flag' as const };
    const kpi = runbook ? runbookTarget(runbook, which) : undefined;
    if (kpi?.target) return { ms: kpi.target.value, source: 'runbook' as const, line: kpi.line };
    const ms = which === 'mttd' ? scenario.targets.mttdMs : scenario.targets.mttrMs;
    return { ms, source: 'scenario' as const };
  };
  const d = pick('mttd');
  const r = pick('mttr');
  return {
    mttdMs: d.ms,
    mttrMs: r.ms,
    source: {
      mttd: d.source,
      mttr: r.source,
      ...('line' in d ? { mttdLine: d.line } : {}),
      ...('line' in r ? { mttrLine: r.line } : {}),
    },
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--target-mttd 3m`: "3m", "90s", "1h", "1.5m", "500ms" -> milliseconds; anything else is a UserError. */
export function parseTargetFlag(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text);
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!(ms > 0)) throw new UserError(`${flag} ${text}: expected a positive duration such as 3m, 90s or 1h`);
  return ms;
}

/** "< 5 min (runbook, line 350)" for reports and the console. */
export function describeTarget(ms: number, source: TargetSource | undefined, line?: number): string {
  const minutes = ms / 60_000;
  const amount = ms % 60_000 === 0 ? `${minutes} min` : `${Math.round(ms / 1000)} s`;
  if (!source) return `< ${amount}`;
  return `< ${amount} (${source}${line !== undefined ? `, line ${line}` : ''})`;
}
