/**
 * The programs a command runs, wherever they sit: each pipeline/list segment and each
 * `$(...)` body, with wrappers (`sudo`, `timeout 30`, `env X=1`, `watch`) peeled off and
 * remembered. Lint, classification and translation all ask "which programs, with what".
 */
import { type ListOperator, type ShellWord, splitSegments } from './shell.ts';
import { substitutions } from './shell-lines.ts';

export interface Invocation {
  /** Words from the program name on; offsets are relative to the whole command. */
  readonly words: readonly ShellWord[];
  readonly program: string;
  /** `timeout N` in front: the step ends on its own. */
  readonly timeout?: string;
  /** `watch` in front: the step never ends. */
  readonly watched: boolean;
  /** Inside `$(...)`: its output feeds another command. */
  readonly nested: boolean;
  /** Index of the segment in its (sub)command and the operator after it. */
  readonly segment: number;
  readonly next: ListOperator | null;
}

const shift = (w: ShellWord, by: number): ShellWord =>
  by ? { ...w, start: w.start + by, end: w.end + by } : w;

export const isTimeout = (word: string | undefined): boolean => word === 'timeout' || word === 'gtimeout';

/** `timeout [-k D] [-s SIG] [--flags] DURATION COMMAND...` at words[k]: the index of DURATION. */
function afterTimeoutOptions(words: readonly ShellWord[], k: number): number {
  let i = k + 1;
  while (words[i]?.text.startsWith('-')) i += /^-(s|k)$|^--(signal|kill-after)$/.test(words[i]!.text) ? 2 : 1;
  return i;
}

/** The command a `timeout ...` at words[0] runs (the words after its duration). */
export const timedCommand = (words: readonly ShellWord[]): readonly ShellWord[] =>
  words.slice(afterTimeoutOptions(words, 0) + 1);

function peel(words: readonly ShellWord[]): {
  rest: readonly ShellWord[];
  timeout?: string;
  watched: boolean;
} {
  let k = 0;
  let timeout: string | undefined;
  let watched = false;
  for (;;) {
    const t = words[k]?.text;
    if (t === undefined) break;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) k++;
    else if (t === 'sudo' || t === 'nohup' || t === 'time' || t === 'exec' || t === 'command') k++;
    else if (t === 'env') {
      k++;
      while (words[k] && (/^-/.test(words[k]!.text) || /=/.test(words[k]!.text))) k++;
    } else if (isTimeout(t)) {
      const duration = afterTimeoutOptions(words, k);
      timeout = words[duration]?.text;
      k = duration + 1;
    } else if (t === 'watch') {
      watched = true;
      k++;
      while (words[k]?.text.startsWith('-')) k += /^-n$|^--interval$/.test(words[k]!.text) ? 2 : 1;
    } else break;
  }
  return { rest: words.slice(k), ...(timeout !== undefined ? { timeout } : {}), watched };
}

/** Every program invocation in the command, outer segments first, then substitutions. */
export function invocations(command: string, base = 0, nested = false): Invocation[] {
  const out: Invocation[] = [];
  for (const [segment, seg] of splitSegments(command).entries()) {
    const { rest, timeout, watched } = peel(seg.words);
    if (rest.length === 0) continue;
    const words = rest.map((w) => shift(w, base));
    out.push({
      words,
      program: words[0]!.text.replace(/^.*\//, ''),
      ...(timeout !== undefined ? { timeout } : {}),
      watched,
      nested,
      segment,
      next: seg.next,
    });
  }
  for (const sub of substitutions(command)) out.push(...invocations(sub.body, base + sub.offset, true));
  return out;
}
