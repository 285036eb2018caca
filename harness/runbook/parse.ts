/**
 * Markdown runbook -> Runbook: sections with kinds, steps with comments, lines and
 * placeholders, and the runbook's facts (alerts, severities, escalation, KPIs). Anything it
 * cannot map is a warning with a line number, never silently dropped.
 */
import { UserError } from '../core/errors.ts';
import {
  commandsFromCode,
  commandsFromListItem,
  looksLikeCommand,
  oversized,
  type RawCommand,
} from './code-steps.ts';
import { parseTimeBox } from './durations.ts';
import {
  extractAlerts,
  extractEscalation,
  extractKpis,
  extractSeverities,
  type SectionBlocks,
} from './facts.ts';
import { type Block, inlineCode, MAX_NESTING, plain, scanBlocks } from './markdown.ts';
import type { Note, ParseWarning, Runbook, Section, Step, TimeBox } from './model.ts';
import { type KindDecision, sectionKind } from './section-kinds.ts';
import { assignedNames, scanExpansions } from './shell.ts';

/** Shell-provided and well-known environment variables: never something the reader fills in. */
// biome-ignore format: a dense table reads better than one entry per line
const ENVIRONMENT = new Set([
  'HOME', 'PATH', 'USER', 'PWD', 'OLDPWD', 'SHELL', 'HOSTNAME', 'TMPDIR', 'RANDOM', 'SECONDS', 'LINENO',
  'IFS', 'UID', 'EUID', 'PPID', 'BASH_SOURCE', 'KUBECONFIG',
]);

interface Draft {
  title: string;
  level: number;
  line: number;
  decision: KindDecision;
  parent?: string;
  blocks: Block[];
}

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

function symptomsOf(blocks: readonly Block[]): string[] | undefined {
  for (const b of blocks) {
    if (b.type !== 'paragraph' && b.type !== 'list-item') continue;
    const m = /^\s*(?:\*\*|__)?symptoms?(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*:?\s*(.+)$/i.exec(b.text);
    if (m) {
      return plain(m[1]!)
        .split(/,\s*|;\s*/)
        .map((s) => s.trim())
        .filter(Boolean);
    }
  }
  return undefined;
}

function timeBoxOf(title: string, blocks: readonly Block[]): TimeBox | undefined {
  const fromTitle = parseTimeBox(title);
  if (fromTitle) return fromTitle;
  const first = blocks.find((b) => b.type === 'paragraph');
  return first && first.type === 'paragraph' && /time[- ]?box|minutes? into/i.test(first.text)
    ? parseTimeBox(first.text)
    : undefined;
}

/** Whether an HTML comment holds something a reader would run: a command line or `code` span. */
const commentedCommands = (html: string): boolean =>
  html.split('\n').some(looksLikeCommand) ||
  [...html.matchAll(/`([^`\n]+)`/g)].some((m) => looksLikeCommand(m[1]!));

/** What the reader might expect to run but firedrill will not: commented-out commands, too-deep nesting. */
function structuralWarnings(blocks: readonly Block[]): ParseWarning[] {
  const out: ParseWarning[] = [];
  for (const b of blocks) {
    if (b.type === 'too-deep')
      out.push({
        line: b.line,
        message: `lists/blockquotes nest deeper than ${MAX_NESTING} levels here; what is inside is not read (flatten it)`,
      });
    else if (b.type === 'code' && !b.closed)
      out.push({
        line: b.line,
        message:
          'code block is never closed; everything after it to the end of its container is read as code',
      });
    else if (b.type === 'html' && /^\s*<!--/.test(b.text) && commentedCommands(b.text))
      out.push({
        line: b.line,
        message: 'HTML comment holds commands; commented-out commands are never run as steps',
      });
  }
  return out;
}

/**
 * Parse a runbook. Throws UserError only when the text has nothing a runbook has (no
 * headings); everything else is best effort with warnings.
 *
 * @example
 * const rb = parseRunbook(readFileSync(path, 'utf8'), path);
 * const db = findResolution(rb, 'database');
 */
export function parseRunbook(text: string, file: string): Runbook {
  try {
    return parseText(text, file);
  } catch (err) {
    // The last line of defence for input past every bound above: one line, not a stack trace.
    if (err instanceof RangeError)
      throw new UserError(
        `${file}: too deeply nested to read (${err.message}); flatten nested lists, blockquotes or $(...)`,
      );
    throw err;
  }
}

function parseText(text: string, file: string): Runbook {
  if (text.includes('\u0000')) throw new UserError(`${file}: not a text file`);
  const blocks = scanBlocks(text);
  const headings = blocks.filter((b) => b.type === 'heading');
  if (headings.length === 0) throw new UserError(`${file}: no Markdown headings; not a runbook`);

  const h1s = headings.filter((h) => h.level === 1);
  const titleBlock = h1s.length === 1 && headings[0] === h1s[0] ? h1s[0] : undefined;
  const title = titleBlock ? plain(titleBlock.text) : file.replace(/^.*\//, '').replace(/\.md$/i, '');

  const drafts: Draft[] = [];
  const stack: Draft[] = [];
  const preamble: Block[] = [];
  for (const b of blocks) {
    if (b === titleBlock) continue;
    if (b.type === 'heading') {
      while (stack.length && stack[stack.length - 1]!.level >= b.level) stack.pop();
      const parent = stack[stack.length - 1];
      const name = plain(b.text);
      const draft: Draft = {
        title: name,
        level: b.level,
        line: b.line,
        decision: sectionKind(name, parent?.decision),
        ...(parent ? { parent: parent.title } : {}),
        blocks: [],
      };
      drafts.push(draft);
      stack.push(draft);
    } else (stack[stack.length - 1]?.blocks ?? preamble).push(b);
  }

  const warnings: ParseWarning[] = structuralWarnings(blocks);
  const seen = new Map<string, number>();
  const sections: Section[] = [];
  const definedSoFar = new Set<string>();

  for (const d of drafts) {
    const symptoms = symptomsOf(d.blocks);
    // A "Symptoms:" line marks a resolution scenario even under an unfamiliar heading.
    const decision: KindDecision =
      d.decision.unmapped && symptoms ? { kind: 'resolution', unmapped: false } : d.decision;
    const timeBox = decision.kind === 'investigation' ? timeBoxOf(d.title, d.blocks) : undefined;
    const raws: RawCommand[] = [];
    const notes: Note[] = [];
    for (const b of d.blocks) {
      if (b.type === 'code') {
        const got = commandsFromCode(b);
        for (const c of got.commands) raws.push(c);
        for (const n of got.notes) notes.push(n);
        for (const w of got.warnings) warnings.push(w);
      } else if (b.type === 'list-item') {
        for (const c of commandsFromListItem(b.text, b.line)) raws.push(c);
        const big = inlineCode(b.text).find((c) => looksLikeCommand(c) && oversized(c));
        if (big)
          warnings.push({ line: b.line, message: `inline command ${oversized(big)}; not used as a step` });
      }
    }

    let slug = slugify(d.title) || `section-${d.line}`;
    const dup = seen.get(slug) ?? 0;
    seen.set(slug, dup + 1);
    if (dup) slug = `${slug}-${dup + 1}`;

    const steps: Step[] = raws.map((r, k) => {
      const own = assignedNames(r.command);
      const placeholders = [
        ...new Set(
          scanExpansions(r.command)
            .filter((e) => !e.hasDefault && !own.includes(e.name) && !definedSoFar.has(e.name))
            .filter((e) => !ENVIRONMENT.has(e.name))
            .map((e) => e.name),
        ),
      ];
      for (const n of own) definedSoFar.add(n);
      return {
        id: `${slug}-${k + 1}`,
        section: d.title,
        sectionKind: decision.kind,
        command: r.command,
        ...(r.comment ? { comment: r.comment } : {}),
        line: r.line,
        ...(r.codeBlockLine !== undefined ? { codeBlockLine: r.codeBlockLine } : {}),
        lineOffsets: r.lineOffsets,
        placeholders,
        defines: own,
        ...(timeBox ? { timeBox } : {}),
      };
    });

    if (decision.unmapped)
      warnings.push({
        line: d.line,
        message: `section "${d.title}" is not a runbook part firedrill knows (detection, investigation, resolution, verification, escalation, post-incident, KPIs)${steps.length ? `; its ${steps.length} command(s) will not run` : ''}`,
      });

    sections.push({
      title: d.title,
      level: d.level,
      line: d.line,
      kind: decision.kind,
      ...(d.parent ? { parent: d.parent } : {}),
      ...(symptoms ? { symptoms } : {}),
      ...(timeBox ? { timeBox } : {}),
      steps,
      notes,
    });
  }

  const withBlocks: SectionBlocks[] = drafts.map((d, i) => ({
    title: d.title,
    kind: sections[i]!.kind,
    blocks: d.blocks,
  }));
  const prose = [...preamble, ...drafts.flatMap((d) => d.blocks)]
    .flatMap((b) =>
      b.type === 'paragraph' || b.type === 'list-item'
        ? [b.text]
        : b.type === 'table'
          ? [b.header.join(' '), ...b.rows.map((r) => r.cells.join(' '))]
          : [],
    )
    .join('\n');

  return {
    file,
    title,
    sections,
    alerts: extractAlerts(withBlocks),
    severities: extractSeverities(withBlocks),
    escalation: extractEscalation(withBlocks),
    kpis: extractKpis(withBlocks),
    prose,
    warnings: warnings.sort((a, b) => a.line - b.line),
  };
}

/**
 * The resolution section whose title matches `pattern` (a case-insensitive regular
 * expression, e.g. 'crash ?loop', 'database'). Sections with steps win over their parents.
 */
export function findResolution(runbook: Runbook, pattern: string): Section {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'i');
  } catch (err) {
    throw new UserError(
      `runbook section pattern /${pattern}/ is not a valid regular expression: ${String(err)}`,
    );
  }
  const resolutions = runbook.sections.filter((s) => s.kind === 'resolution');
  const matching = resolutions.filter((s) => re.test(s.title));
  const best = matching.find((s) => s.steps.length > 0) ?? matching[0];
  if (best) return best;
  const available = resolutions.filter((s) => s.steps.length > 0).map((s) => `"${s.title}" (line ${s.line})`);
  throw new UserError(
    `${runbook.file}: no resolution section matches /${pattern}/i; available: ${available.length ? available.join(', ') : 'none (no resolution section with commands)'}`,
  );
}
