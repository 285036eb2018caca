/**
 * Commands out of Markdown: fenced shell blocks (bash/sh/shell/zsh), console transcripts
 * (`$ ` prompts, output lines ignored) and inline `code` in list items. Each command keeps
 * the comment that introduces it and the source line of every physical line it spans.
 */
import type { Block, SourceLine } from './markdown.ts';
import { inlineCode } from './markdown.ts';
import type { LineOffset, Note, ParseWarning } from './model.ts';
import { heredocDelimiter, needsContinuation, splitTrailingComment } from './shell-lines.ts';

export interface RawCommand {
  readonly command: string;
  readonly comment?: string;
  readonly line: number;
  readonly codeBlockLine?: number;
  readonly lineOffsets: readonly LineOffset[];
}

export interface CodeExtraction {
  readonly commands: RawCommand[];
  readonly notes: Note[];
  readonly warnings: ParseWarning[];
}

const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'ksh', 'dash']);
const CONSOLE_LANGS = new Set([
  'console',
  'shell-session',
  'sh-session',
  'shellsession',
  'terminal',
  'session',
]);

/**
 * Programs a runbook step typically starts with. Used only where Markdown gives no hint
 * (inline code, fences without a language), so `/health` or `#incidents` are not commands.
 */
// biome-ignore format: a dense table reads better than one entry per line
const KNOWN_COMMANDS = new Set([
  'kubectl', 'k', 'helm', 'kustomize', 'stern', 'istioctl', 'linkerd', 'argocd', 'flux', 'velero', 'curl',
  'wget', 'http', 'nc', 'ncat', 'nslookup', 'dig', 'host', 'ping', 'traceroute', 'ss', 'netstat', 'ip',
  'iptables', 'openssl', 'psql', 'pg_isready', 'redis-cli', 'mysql', 'mongosh', 'aws', 'gcloud', 'az',
  'doctl', 'terraform', 'vault', 'docker', 'podman', 'crictl', 'ctr', 'systemctl', 'journalctl', 'service',
  'grep', 'egrep', 'awk', 'sed', 'jq', 'yq', 'cat', 'tail', 'head', 'less', 'ls', 'ps', 'top', 'htop',
  'free', 'df', 'du', 'watch', 'timeout', 'date', 'echo', 'printf', 'export', 'sleep', 'for', 'while', 'if',
  'sudo', 'ssh', 'scp', 'git', 'make', 'npm', 'pnpm', 'node', 'python', 'python3', 'promtool', 'amtool',
  'env', 'kill', 'pkill',
]);

/** Whether a one-line text starts like a command someone would run. */
export function looksLikeCommand(text: string): boolean {
  const t = text.trim().replace(/^(sudo\s+)?([A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/, '');
  const first = /^[A-Za-z][\w.-]*/.exec(t)?.[0];
  return (
    first !== undefined &&
    KNOWN_COMMANDS.has(first) &&
    (t.length === first.length || /\s/.test(t[first.length]!))
  );
}

type Dialect = 'shell' | 'console';

/**
 * Bounds on one command. Real runbook commands are a few lines; past these the shell scanners
 * (recursive over `$(`, quotes and backticks, and re-run per appended line) would take
 * quadratic time or overflow the stack on a hostile or broken file.
 */
export const MAX_COMMAND_LINES = 300;
export const MAX_COMMAND_CHARS = 16_384;
export const MAX_SHELL_NESTING = 64;

/** Why a command is too big to analyse, or undefined when it is fine. */
export function oversized(text: string, lines = 1): string | undefined {
  if (lines > MAX_COMMAND_LINES) return `runs over more than ${MAX_COMMAND_LINES} lines`;
  if (text.length > MAX_COMMAND_CHARS) return `is longer than ${MAX_COMMAND_CHARS} characters`;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{') depth++;
    if (c === ')' || c === '}') depth--;
    if (depth > MAX_SHELL_NESTING)
      return `nests $(...), parentheses or braces deeper than ${MAX_SHELL_NESTING} levels`;
  }
  return undefined;
}

/** Which dialect a fence speaks; undefined means "not commands" (yaml, json, text, ...). */
function dialectOf(block: Extract<Block, { type: 'code' }>): Dialect | undefined {
  if (SHELL_LANGS.has(block.lang)) return 'shell';
  if (CONSOLE_LANGS.has(block.lang)) return 'console';
  if (block.lang !== '') return undefined;
  const first = block.lines.find((l) => l.text.trim() !== '' && !l.text.trim().startsWith('#'));
  if (!first) return undefined;
  if (/^\s*\$\s+\S/.test(first.text)) return 'console';
  return looksLikeCommand(first.text) ? 'shell' : undefined;
}

const PROMPT = /^\s*(?:\([\w.-]+\)\s*)?(?:[\w.-]+@[\w.-]+(?::\S*)?\s*)?[$%]\s+(.*)$/;

/** Commands, dangling comments and warnings of one fenced block. */
export function commandsFromCode(block: Extract<Block, { type: 'code' }>): CodeExtraction {
  const out: CodeExtraction = { commands: [], notes: [], warnings: [] };
  const dialect = dialectOf(block);
  if (!dialect) {
    if (block.lang === '' && block.lines.some((l) => l.text.trim() !== ''))
      out.warnings.push({
        line: block.line,
        message: 'code block without a language has no recognisable commands; not used as steps',
      });
    return out;
  }

  // A comment group introduces the commands that follow it until a blank line.
  let group: { lines: string[]; line: number; used: boolean; blankAfter: boolean } | null = null;
  const flushUnused = () => {
    if (group && !group.used) out.notes.push({ text: group.lines.join('\n'), line: group.line });
  };

  let current: {
    text: string;
    line: number;
    offsets: LineOffset[];
    heredoc?: string;
    trailing?: string;
  } | null = null;
  const finish = () => {
    if (!current) return;
    const command = current.text.trim();
    const comment = [...(group?.lines ?? []), ...(current.trailing ? [current.trailing] : [])].join('\n');
    if (command) {
      out.commands.push({
        command,
        ...(comment ? { comment } : {}),
        line: current.line,
        codeBlockLine: block.line,
        lineOffsets: current.offsets,
      });
      if (group) group.used = true;
    }
    current = null;
  };

  // Once a command is too big to analyse, the rest of the block is not read (one warning).
  let abandoned = false;
  const tooBig = (text: string, lines: number, line: number): boolean => {
    const why = oversized(text, lines);
    if (!why) return false;
    out.warnings.push({
      line,
      message: `command ${why}; it and the rest of this code block are not used as steps`,
    });
    abandoned = true;
    current = null;
    return true;
  };

  const continueWith = (src: SourceLine) => {
    const cur = current!;
    if (tooBig(cur.text, cur.offsets.length + 1, cur.line)) return;
    let text = src.text;
    if (dialect === 'console') text = text.replace(/^\s*>\s?/, '');
    if (cur.heredoc) {
      cur.offsets.push({ line: src.line, offset: cur.text.length + 1 });
      cur.text += '\n' + text;
      if (text.trim() === cur.heredoc) delete cur.heredoc;
    } else if (/\\\s*$/.test(cur.text)) {
      // Backslash-newline disappears in the shell: join with one space.
      cur.text = cur.text.replace(/\s*\\\s*$/, ' ');
      cur.offsets.push({ line: src.line, offset: cur.text.length });
      cur.text += splitTrailingComment(text.trim())[0];
    } else if (/(\|\||&&|\|)\s*$/.test(cur.text)) {
      cur.text = cur.text.trimEnd() + ' ';
      cur.offsets.push({ line: src.line, offset: cur.text.length });
      cur.text += splitTrailingComment(text.trim())[0];
    } else {
      cur.offsets.push({ line: src.line, offset: cur.text.length + 1 });
      cur.text += '\n' + text;
    }
    if (!cur.heredoc && !needsContinuation(cur.text)) finish();
  };

  const start = (text: string, line: number) => {
    if (tooBig(text, 1, line)) return;
    const [command, trailing] = splitTrailingComment(text.trim());
    if (!command) return;
    const heredoc = heredocDelimiter(command);
    current = {
      text: command,
      line,
      offsets: [{ line, offset: 0 }],
      ...(heredoc ? { heredoc } : {}),
      ...(trailing ? { trailing } : {}),
    };
    if (!heredoc && !needsContinuation(command)) finish();
  };

  for (const src of block.lines) {
    if (abandoned) break;
    if (current) {
      continueWith(src);
      continue;
    }
    const trimmed = src.text.trim();
    if (trimmed === '') {
      if (group?.used) group = null;
      else if (group) group.blankAfter = true;
      continue;
    }
    let commandText: string | undefined;
    if (dialect === 'console') {
      const prompt = PROMPT.exec(src.text);
      if (prompt) commandText = prompt[1]!;
      else if (!trimmed.startsWith('#')) continue; // output of the previous command
    } else if (!trimmed.startsWith('#')) commandText = trimmed;

    if (commandText === undefined) {
      if (trimmed.startsWith('#!')) continue;
      const text = trimmed.replace(/^#+\s?/, '');
      if (group && !group.used && !group.blankAfter) group.lines.push(text);
      else {
        flushUnused();
        group = { lines: [text], line: src.line, used: false, blankAfter: false };
      }
      continue;
    }
    if (group?.used === false && group.blankAfter) group.blankAfter = false;
    start(commandText, src.line);
  }
  if (current) {
    const open: { line: number } = current;
    out.warnings.push({
      line: open.line,
      message: 'command is not finished when the code block ends (open quote, `\\` or loop)',
    });
    finish();
  }
  flushUnused();
  if (out.commands.length === 0 && !abandoned)
    out.warnings.push({
      line: block.line,
      message:
        dialect === 'console'
          ? 'console block has no `$ ` prompt lines; nothing to run'
          : `${block.lang || 'shell'} block has no commands, only comments`,
    });
  return out;
}

/** Inline `commands` in a list item ("1. Check pods: `kubectl get pods -n x`"). */
export function commandsFromListItem(text: string, line: number): RawCommand[] {
  const commands = inlineCode(text).filter((c) => looksLikeCommand(c) && !oversized(c));
  if (commands.length === 0) return [];
  const comment = text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/(`+)(.+?)\1/g, '')
    .replace(/\s+/g, ' ')
    .replace(/[\s:,-]+$/, '')
    .trim();
  return commands.map((command) => ({
    command,
    ...(comment ? { comment } : {}),
    line,
    lineOffsets: [{ line, offset: 0 }],
  }));
}
