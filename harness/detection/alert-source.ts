/**
 * The alert source file (fixtures/monitoring/alerts.yaml): PromQL templates plus one timing
 * profile per detection profile. Both detection sources read it: the generator renders
 * Prometheus rule files from it, and the built-in probes take their windows and `for` from
 * it, so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { AlertName, DetectionProfile } from './types.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_ALERT_SOURCE = join(repoRoot, 'fixtures', 'monitoring', 'alerts.yaml');
export const rulesFileFor = (profile: DetectionProfile): string =>
  join(repoRoot, 'fixtures', 'monitoring', 'rules', `${profile}.yml`);

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a Prometheus duration with one unit ("15s", "5m"). */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new UserError(`"${text}" is not a duration like 15s or 5m`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = z.string().regex(DURATION, 'a duration like 15s or 5m');
const alertTiming = z
  .object({ window: duration.optional(), for: duration })
  .catchall(z.union([z.number(), z.string()]));
const alertName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus alert name');

const sourceSchema = z
  .object({
    /** The rule group's name in the rendered files: `<group>-<profile>`. */
    group: z
      .string()
      .regex(/^[a-z0-9][-a-z0-9]*$/)
      .default('firedrill'),
    thresholds: z.record(z.string(), z.number()),
    profiles: z.object({
      production: z.object({
        scrapeInterval: duration,
        evaluationInterval: duration,
        alerts: z.record(alertName, alertTiming),
      }),
      fast: z.object({
        scrapeInterval: duration,
        evaluationInterval: duration,
        alerts: z.record(alertName, alertTiming),
      }),
    }),
    rules: z
      .array(
        z.object({
          alert: alertName,
          severity: z.enum(['critical', 'high', 'medium', 'low']),
          summary: z.string().min(1),
          runbookSection: z.string().min(1),
          expr: z.string().min(1),
        }),
      )
      .min(1),
  })
  .strict();

export type AlertSource = z.output<typeof sourceSchema>;
type RuleTemplate = AlertSource['rules'][number];

/** Timing of one alert in one profile, in milliseconds, plus its numeric parameters. */
export interface AlertTiming {
  readonly windowMs?: number;
  readonly forMs: number;
  /** Thresholds merged with the alert's own parameters, e.g. errorRatio, minRestarts. */
  readonly params: Readonly<Record<string, number>>;
}

export interface ProfileTiming {
  readonly profile: DetectionProfile;
  readonly scrapeIntervalMs: number;
  readonly evaluationIntervalMs: number;
  /** Keyed by the source's own alert names; AlertName keys are the default source's. */
  readonly alerts: Readonly<Record<AlertName, AlertTiming>>;
}

export function loadAlertSource(file: string = DEFAULT_ALERT_SOURCE): AlertSource {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(
      `${file}: cannot read alert source: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = sourceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${file}: ${issue?.path.join('.') ?? '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  // every rule has timing in every profile, and no profile times an alert without a rule
  const names = parsed.data.rules.map((r) => r.alert);
  for (const profile of ['production', 'fast'] as const) {
    for (const name of names) {
      if (!parsed.data.profiles[profile].alerts[name]) {
        throw new UserError(
          `${file}: profiles.${profile}.alerts.${name}: missing (every alert needs timing)`,
        );
      }
    }
    for (const name of Object.keys(parsed.data.profiles[profile].alerts)) {
      if (!names.includes(name)) throw new UserError(`${file}: rules: no rule for ${name}`);
    }
  }
  return parsed.data;
}

/** Values a template may reference for one alert in one profile. */
function placeholders(source: AlertSource, profile: DetectionProfile, alert: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(source.thresholds)) values[k] = String(v);
  for (const [k, v] of Object.entries(source.profiles[profile].alerts[alert] ?? {})) values[k] = String(v);
  return values;
}

function fill(template: string, values: Record<string, string>, where: string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_all, name: string) => {
    const v = values[name];
    if (v === undefined) throw new UserError(`${where}: unknown placeholder {{${name}}}`);
    return v;
  });
}

function renderRule(source: AlertSource, profile: DetectionProfile, rule: RuleTemplate) {
  const values = placeholders(source, profile, rule.alert);
  const where = `rule ${rule.alert} (profile ${profile})`;
  return {
    alert: rule.alert,
    expr: fill(rule.expr, values, where),
    for: source.profiles[profile].alerts[rule.alert]!.for,
    labels: { severity: rule.severity },
    annotations: { summary: fill(rule.summary, values, where), runbook_section: rule.runbookSection },
  };
}

const DEFAULT_SOURCE_NAME = 'fixtures/monitoring/alerts.yaml';

/** The Prometheus rule file for a profile; `from` is the source as the repository spells it. */
export function renderRuleFile(
  source: AlertSource,
  profile: DetectionProfile,
  from = DEFAULT_SOURCE_NAME,
): string {
  const doc = {
    groups: [
      { name: `${source.group}-${profile}`, rules: source.rules.map((r) => renderRule(source, profile, r)) },
    ],
  };
  const header =
    `# GENERATED from ${from} (profile: ${profile}); do not edit.\n` +
    `# Regenerate: pnpm exec node fixtures/monitoring/generate.ts${from === DEFAULT_SOURCE_NAME ? '' : ` ${from}`}\n` +
    `# Intended scrape_interval ${source.profiles[profile].scrapeInterval}, ` +
    `evaluation_interval ${source.profiles[profile].evaluationInterval}.\n`;
  return header + stringify(doc, { lineWidth: 0 });
}

export function profileTiming(source: AlertSource, profile: DetectionProfile): ProfileTiming {
  const p = source.profiles[profile];
  const alerts = {} as Record<AlertName, AlertTiming>;
  for (const name of source.rules.map((r) => r.alert)) {
    const entry = p.alerts[name]!;
    const params: Record<string, number> = { ...source.thresholds };
    for (const [k, v] of Object.entries(entry)) if (typeof v === 'number') params[k] = v;
    alerts[name as AlertName] = {
      ...(entry.window ? { windowMs: durationMs(entry.window) } : {}),
      forMs: durationMs(entry.for),
      params,
    };
  }
  return {
    profile,
    scrapeIntervalMs: durationMs(p.scrapeInterval),
    evaluationIntervalMs: durationMs(p.evaluationInterval),
    alerts,
  };
}

/** Timing for a profile straight from the default source file. */
export const loadProfileTiming = (profile: DetectionProfile, file?: string): ProfileTiming =>
  profileTiming(loadAlertSource(file), profile);
