/**
 * The runbook's facts beyond its commands: which alerts page, the severity table, when to
 * escalate, and the KPI targets. Reports compare a drill with these, so they are read from
 * the runbook rather than restated in code.
 */
import { parseDurationMs, parseResponseTimeMs } from './durations.ts';
import type { Block } from './markdown.ts';
import { plain } from './markdown.ts';
import type {
  DetectionAlert,
  EscalationContact,
  EscalationCriterion,
  KpiTarget,
  SectionKind,
  SeverityLevel,
} from './model.ts';

export interface SectionBlocks {
  readonly title: string;
  readonly kind: SectionKind;
  readonly blocks: readonly Block[];
}

type ListItem = Extract<Block, { type: 'list-item' }>;
type Table = Extract<Block, { type: 'table' }>;

const items = (s: SectionBlocks): ListItem[] => s.blocks.filter((b): b is ListItem => b.type === 'list-item');
const tables = (s: SectionBlocks): Table[] => s.blocks.filter((b): b is Table => b.type === 'table');

/** "**Name (long name)**: description" or "`Name`: description" or "Name - description". */
function nameAndText(item: string): { name: string; rest: string } | undefined {
  const m =
    /^\*\*(.+?)\*\*\s*[:—–-]?\s*(.*)$/.exec(item) ??
    /^`(.+?)`\s*[:—–-]?\s*(.*)$/.exec(item) ??
    /^([^:]{1,60}):\s+(.*)$/.exec(item);
  if (!m) return undefined;
  return { name: plain(m[1]!).replace(/:$/, '').trim(), rest: plain(m[2]!) };
}

/** Bullets under an alerts heading (not "Manual Detection"). */
export function extractAlerts(sections: readonly SectionBlocks[]): DetectionAlert[] {
  const detection = sections.filter((s) => s.kind === 'detection' && !/manual/i.test(s.title));
  const titled = detection.filter((s) => /alert/i.test(s.title));
  const pool = titled.length ? titled : detection;
  const alerts: DetectionAlert[] = [];
  for (const s of pool)
    for (const item of items(s)) {
      const nt = nameAndText(item.text);
      if (nt) alerts.push({ name: nt.name, condition: nt.rest, line: item.line });
    }
  return alerts;
}

const column = (header: readonly string[], re: RegExp) => header.findIndex((h) => re.test(plain(h)));

/** A table with Severity, Impact and Response-time columns. */
export function extractSeverities(sections: readonly SectionBlocks[]): SeverityLevel[] {
  for (const s of sections)
    for (const t of tables(s)) {
      const sev = column(t.header, /severity|priority|^sev|level/i);
      const impact = column(t.header, /impact|description|meaning/i);
      const response = column(t.header, /response/i);
      if (sev < 0 || impact < 0 || response < 0) continue;
      return t.rows.map((r) => {
        const responseTime = plain(r.cells[response] ?? '');
        const ms = parseResponseTimeMs(responseTime);
        return {
          severity: plain(r.cells[sev] ?? '').toLowerCase(),
          impact: plain(r.cells[impact] ?? ''),
          responseTime,
          ...(ms !== undefined ? { responseTimeMs: ms } : {}),
          line: r.line,
        };
      });
    }
  return [];
}

/** Bullets of escalation sections, grouped under the lead-in paragraph above them. */
export function extractEscalation(sections: readonly SectionBlocks[]): {
  criteria: EscalationCriterion[];
  contacts: EscalationContact[];
} {
  const criteria: EscalationCriterion[] = [];
  const contacts: EscalationContact[] = [];
  for (const s of sections.filter((x) => x.kind === 'escalation')) {
    // Communication plans are lists too, but not reasons to escalate.
    if (/communicat|contact/i.test(s.title)) continue;
    let group = s.title;
    for (const b of s.blocks) {
      if (b.type === 'paragraph') group = plain(b.text).replace(/:$/, '');
      if (b.type !== 'list-item') continue;
      const text = plain(b.text);
      const thresholdMs = parseDurationMs(text);
      criteria.push({ group, text, ...(thresholdMs !== undefined ? { thresholdMs } : {}), line: b.line });
    }
  }
  for (const s of sections.filter((x) => x.kind === 'escalation'))
    for (const t of tables(s)) {
      const level = column(t.header, /level|tier/i);
      const contact = column(t.header, /contact|who|owner/i);
      const response = column(t.header, /response/i);
      if (level < 0 || contact < 0) continue;
      for (const r of t.rows) {
        const responseTime = response < 0 ? '' : plain(r.cells[response] ?? '');
        const ms = parseResponseTimeMs(responseTime);
        contacts.push({
          level: plain(r.cells[level] ?? ''),
          contact: plain(r.cells[contact] ?? ''),
          responseTime,
          ...(ms !== undefined ? { responseTimeMs: ms } : {}),
          line: r.line,
        });
      }
    }
  return { criteria, contacts };
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const OPS: Record<string, '<' | '<=' | '>' | '>='> = {
  '<': '<',
  '<=': '<=',
  '≤': '<=',
  '>': '>',
  '>=': '>=',
  '≥': '>=',
};

const WORD_OPS: [RegExp, '<' | '<='][] = [
  [/^(under|below|less than|within|in under|inside)$/i, '<'],
  [/^(at most|no more than|max(imum)?|up to)$/i, '<='],
];
const BOUND =
  '(<=|>=|<|>|≤|≥|under|below|less than|in under|within|inside|at most|no more than|max(?:imum)?|up to)';

/** "Target < 30 minutes", "under 3 min", "within 20 minutes" -> { op, value, unit }; "< 5%" -> percent. */
export function parseTarget(text: string): KpiTarget['target'] {
  const m = new RegExp(String.raw`${BOUND}:?\s*(\d+(?:\.\d+)?)\s*(%|percent\b)?`, 'i').exec(text);
  if (!m) return undefined;
  const op = OPS[m[1]!] ?? WORD_OPS.find(([re]) => re.test(m[1]!))?.[1];
  if (!op) return undefined;
  if (m[3]) return { op, value: Number(m[2]), unit: 'percent' };
  const ms = parseDurationMs(text.slice(m.index));
  return ms === undefined ? undefined : { op, value: ms, unit: 'ms' };
}

/**
 * Time targets written as a sentence: "detect < 3 min, resolve < 20 min", "Resolve within
 * 20 minutes". Each clause names what it bounds (detect/detection/MTTD, resolve/recover/MTTR).
 */
const CLAUSE = new RegExp(
  String.raw`\b(mttd|mttr|detect\w*|noticed?|resol\w*|recover\w*|restor\w*|repair\w*|fix\w*)\b[^,;.]*?${BOUND}:?\s*(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b`,
  'gi',
);

function sentenceTargets(text: string, line: number): KpiTarget[] {
  const out: KpiTarget[] = [];
  for (const m of plain(text).matchAll(CLAUSE)) {
    const key = /^(mttd|detect|notice)/i.test(m[1]!) ? 'mttd' : 'mttr';
    const target = parseTarget(m[0].slice(m[1]!.length));
    if (target)
      out.push({
        key,
        name: key === 'mttd' ? 'Time to detect' : 'Time to resolve',
        description: m[0],
        target,
        line,
      });
  }
  return out;
}

/**
 * "**MTTR (Mean Time To Resolution)**: Target < 30 minutes" -> key 'mttr', and sentences such
 * as "detect < 3 min, resolve < 20 min" -> keys 'mttd' and 'mttr' when no named KPI gives them.
 */
export function extractKpis(sections: readonly SectionBlocks[]): KpiTarget[] {
  const kpis: KpiTarget[] = [];
  const sentences: KpiTarget[] = [];
  for (const s of sections.filter((x) => x.kind === 'kpis'))
    for (const b of s.blocks) {
      if (b.type !== 'list-item' && b.type !== 'paragraph') continue;
      const nt = b.type === 'list-item' ? nameAndText(b.text) : undefined;
      if (nt) {
        const target = parseTarget(nt.rest);
        kpis.push({
          key: slug(nt.name.replace(/\s*\(.*\)\s*$/, '')),
          name: nt.name,
          description: nt.rest,
          ...(target ? { target } : {}),
          line: b.line,
        });
      }
      sentences.push(...sentenceTargets(b.text, b.line));
    }
  const named = new Set(kpis.map((k) => k.key));
  for (const k of sentences)
    if (!named.has(k.key)) {
      kpis.push(k);
      named.add(k.key);
    }
  return kpis;
}
