/**
 * Run steps literally, as the runbook's reader would: `bash -c <command>` with KUBECONFIG
 * set, never as the harness (step-sandbox.ts: own HOME/cwd, minimal environment, `nobody`
 * when root), no terminal, placeholders from the drill's variables, production URLs through the
 * host map, and a per-step timeout that kills the whole process group (a `logs -f` or a
 * `watch` must not hang the drill, and must not leave children behind).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { findOnPath, isExecutable } from '../core/executables.ts';
import { spawnGated } from '../core/gated-spawn.ts';
import type { Ledger } from '../core/ledger.ts';
import { processStartTime } from '../core/proc.ts';
import type { StepExecutor } from './execute.ts';
import { tailExcerpt } from './execute.ts';
import { applyHostMap } from './hostmap.ts';
import { invocations } from './invocation.ts';
import { parseKubectl } from './kubectl.ts';
import { KEYWORDS_BEFORE_PROGRAM } from './shell.ts';
import type { StepRun } from './step-result.ts';
import {
  canRunAs,
  defaultStepIdentity,
  makeStepDir,
  type StepIdentity,
  sameUserLimitation,
  stepEnvironment,
} from './step-sandbox.ts';

export interface ShellExecutorOptions {
  /** Path for KUBECONFIG; see pinNamespace() to fix the namespace in its current context. */
  readonly kubeconfig?: string;
  /** Extra variables for every step (the drill's own variables come per run). Nothing else of the harness's environment reaches a step. */
  readonly env?: Readonly<Record<string, string>>;
  /** PATH of a step. Default: the harness's PATH. */
  readonly path?: string;
  /** Who steps run as; default `nobody` when the harness is root on Linux, null = the current user. */
  readonly runAs?: StepIdentity | null;
  /** Told once when steps run as the harness's own user (for the run record's limitations). */
  readonly onLimitation?: (text: string) => void;
  /** Bytes of output kept per step (the end of it). Default 2048. */
  readonly outputLimitBytes?: number;
  /** Between SIGTERM and SIGKILL of the process group on timeout. Default 1000 ms. */
  readonly killGraceMs?: number;
  /** Each step's process group is ledgered while it runs: one a killed harness left behind
   * (a `kubectl rollout status` waiting on a halted workload) is `pnpm chaos cleanup`'s to end. */
  readonly ledger?: Ledger;
}

/**
 * Drop TTY flags from `kubectl exec/run/attach` (`-it` -> `-i`, `-t`/`--tty` removed): a
 * drill has no terminal, and kubectl would only warn and continue without one.
 */
export function stripTtyFlags(command: string): { command: string; removed: string[] } {
  const edits: { start: number; end: number; replacement: string; written: string }[] = [];
  for (const inv of invocations(command)) {
    const call = parseKubectl(inv.words);
    if (!call || !['exec', 'run', 'attach', 'debug'].includes(call.verb)) continue;
    for (const f of call.flags.filter((x) => x.name === 'tty')) {
      const word = inv.words.find((w) => w.start === f.offset);
      if (!word || edits.some((e) => e.start === word.start)) continue;
      const without = word.text.startsWith('--') ? '' : word.text.replace(/t/g, '');
      const replacement = without === '-' ? '' : without;
      edits.push({ start: word.start, end: word.end, replacement, written: word.text });
    }
  }
  let out = command;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    const end = e.replacement === '' && out[e.end] === ' ' ? e.end + 1 : e.end;
    out = out.slice(0, e.start) + e.replacement + out.slice(end);
  }
  return { command: out, removed: edits.map((e) => e.written) };
}

/**
 * A kubeconfig copy whose current context uses `namespace`, so kubectl commands without
 * `-n` land in the drill's namespace rather than wherever the user's context points.
 */
export async function pinNamespace(kubeconfig: string, namespace: string, dir: string): Promise<string> {
  const doc = parseYaml(await readFile(kubeconfig, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: Record<string, unknown> }[];
  };
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']);
  if (!ctx)
    throw new Error(`${kubeconfig}: current-context ${doc['current-context'] ?? '(unset)'} not found`);
  ctx.context['namespace'] = namespace;
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'kubeconfig');
  await writeFile(out, stringifyYaml(doc), { mode: 0o600 });
  return out;
}

/** Append to a step that assigns variables: report their values on fd 3, keep its exit status. */
const captureDefines = (command: string, names: readonly string[]) =>
  `${command}\n__firedrill_rc=$?; { for __v in ${names.join(' ')}; do printf '%s=%s\\0' "$__v" "\${!__v}"; done; } >&3 2>/dev/null; exit $__firedrill_rc`;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/** The kube executor: steps run in a real shell. */
export function shellExecutor(options: ShellExecutorOptions = {}): StepExecutor {
  const limit = options.outputLimitBytes ?? 2048;
  const grace = options.killGraceMs ?? 1000;
  const path = options.path ?? process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
  const toldMissing = new Set<string>();
  let identity: StepIdentity | undefined | null = null;
  const whoRuns = (): StepIdentity | undefined => {
    if (identity !== null) return identity;
    const wanted = options.runAs === undefined ? defaultStepIdentity() : (options.runAs ?? undefined);
    identity = wanted && canRunAs(wanted) ? wanted : undefined;
    if (!identity)
      options.onLimitation?.(
        sameUserLimitation(
          wanted
            ? `this machine refused to start a process as uid ${wanted.uid}`
            : options.runAs === null
              ? 'asked to'
              : 'the harness is not root',
        ),
      );
    return identity;
  };
  return {
    mode: 'shell',
    run: async (step, env) => {
      const missing = missingPrograms(step.command, path);
      if (missing.length) {
        for (const program of missing.filter((p) => !toldMissing.has(p))) {
          toldMissing.add(program);
          options.onLimitation?.(
            `\`${program}\` is not installed on this machine (not on the steps' PATH): runbook steps that run it are not runnable here; install it to drill them`,
          );
        }
        return {
          status: 'not-runnable',
          exitCode: null,
          output: '',
          error: `${missing.map((p) => `\`${p}\``).join(', ')} not installed on this machine (not on the steps' PATH); install ${missing.length > 1 ? 'them' : 'it'} to run this step`,
          execution: 'none',
        };
      }
      const id = whoRuns();
      // Ledgered: a killed harness must not leave a kubeconfig copy behind in /tmp.
      let entry: string | undefined;
      const sandbox = makeStepDir(id, options.kubeconfig, (dir) => {
        entry = options.ledger?.record(`runbook step ${step.id} home ${dir}`, {
          type: 'remove-dir',
          path: dir,
        }).id;
      });
      try {
        return await runIn(step, env, sandbox.dir, sandbox.kubeconfig, id);
      } finally {
        sandbox.remove();
        if (entry) options.ledger!.settle(entry);
      }
    },
  };

  function runIn(
    step: Parameters<StepExecutor['run']>[0],
    env: Parameters<StepExecutor['run']>[1],
    home: string,
    kubeconfig: string | undefined,
    id: StepIdentity | undefined,
  ): Promise<StepRun> {
    return new Promise<StepRun>((resolve) => {
      const tty = stripTtyFlags(step.command);
      const mapped = applyHostMap(tty.command, env.hostMap);
      const changes = [
        ...(tty.removed.length
          ? [`TTY flag ${tty.removed.join(', ')} removed (no terminal in a drill)`]
          : []),
        ...mapped.mapped.map((m) => `${m.from} -> ${m.to}`),
      ];
      const script = step.defines.length ? captureDefines(mapped.command, step.defines) : mapped.command;
      // Gated: the step only runs once its process group is in the ledger.
      const { child, open } = spawnGated(['bash', '-c', script], {
        detached: true, // own process group: a timeout kills pipelines and their children too
        outputs: ['pipe', 'pipe', step.defines.length ? 'pipe' : 'ignore'],
        env: stepEnvironment({
          path,
          home,
          ...(process.env['LANG'] ? { lang: process.env['LANG'] } : {}),
          ...(kubeconfig ? { kubeconfig } : {}),
          ...(options.env ? { extra: options.env } : {}),
          variables: env.variables,
        }),
        cwd: home,
        ...(id ? { uid: id.uid, gid: id.gid } : {}),
      });
      const pid = child.pid;
      const startTime = pid ? processStartTime(pid) : undefined;
      const entry =
        pid && options.ledger
          ? options.ledger.record(`runbook step ${step.id} (process group ${pid})`, {
              type: 'kill-process',
              pid,
              processGroup: true,
              ...(startTime ? { startTime } : {}),
            }).id
          : undefined;
      open();
      let output = '';
      const keep = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.length > limit * 8) output = output.slice(-limit * 4);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      let defined = '';
      child.stdio[3]?.on('data', (c: Buffer) => {
        defined += c.toString('utf8');
      });

      let ended: 'timeout' | 'abort' | undefined;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // group already gone
        }
      };
      const stop = (why: 'timeout' | 'abort') => {
        if (ended) return;
        ended = why;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), grace).unref();
      };
      const timer = setTimeout(() => stop('timeout'), env.timeoutMs);
      const onAbort = () => stop('abort');
      env.signal?.addEventListener('abort', onAbort, { once: true });

      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        env.signal?.removeEventListener('abort', onAbort);
        // Whatever is still in the group (a background child of the step) goes too.
        killGroup('SIGKILL');
        if (entry) options.ledger!.settle(entry);
        const exitCode = code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : null);
        const excerpt = tailExcerpt(output, limit);
        const base = {
          exitCode,
          output: excerpt,
          execution: 'shell' as const,
          ...(changes.length ? { translatedTo: `${mapped.command}  [${changes.join('; ')}]` } : {}),
          ...(defined ? { defined: parseDefined(defined) } : {}),
        };
        if (spawnError)
          resolve({ ...base, status: 'failed', error: `could not start bash: ${spawnError.message}` });
        else if (ended === 'timeout')
          resolve({
            ...base,
            status: 'timed-out',
            error: `no end after ${env.timeoutMs} ms; process group killed`,
          });
        else if (ended === 'abort')
          resolve({ ...base, status: 'failed', error: 'aborted; process group killed' });
        else if (exitCode === 0) resolve({ ...base, status: 'passed' });
        else resolve({ ...base, status: 'failed', error: failureLine(exitCode, signal, excerpt) });
      };
      child.on('error', (err) => finish(null, null, err));
      // 'close' waits for the pipes; a grandchild that escaped the group could hold them, so
      // 'exit' plus a bounded drain also finishes the step.
      child.on('close', (code, signal) => finish(code, signal));
      child.on('exit', (code, signal) => {
        setTimeout(() => finish(code, signal), grace).unref();
      });
    });
  }
}

/** Bash's builtins and keywords: a step may name them without any program on PATH. */
// biome-ignore format: a dense table reads better than one entry per line
const SHELL_WORDS = new Set([
  '.', ':', '[', '[[', ']]', '{', '}', '!', 'alias', 'bg', 'break', 'builtin', 'case', 'cd', 'command',
  'compgen', 'continue', 'declare', 'do', 'done', 'echo', 'elif', 'else', 'esac', 'eval', 'exec', 'exit',
  'export', 'false', 'fi', 'for', 'function', 'getopts', 'hash', 'if', 'in', 'kill', 'let', 'local',
  'mapfile', 'printf', 'pwd', 'read', 'readarray', 'readonly', 'return', 'select', 'set', 'shift', 'shopt',
  'source', 'test', 'then', 'time', 'trap', 'true', 'type', 'typeset', 'ulimit', 'umask', 'unset', 'until',
  'wait', 'while',
]);

/**
 * The programs a step would run that this machine lacks: neither a shell builtin nor found on
 * the steps' PATH. Such a step cannot say anything about the runbook (bash would answer "command
 * not found"), so it is not runnable here rather than a failed step.
 *
 * @example
 * missingPrograms('kubectl get pods | jq .items', '/usr/bin') // -> ['jq'] where only kubectl is installed
 */
export function missingPrograms(command: string, path: string): string[] {
  const dirs = path.split(':').filter(Boolean);
  const missing = new Set<string>();
  for (const inv of invocations(command)) {
    const word = inv.words.find((w) => !KEYWORDS_BEFORE_PROGRAM.has(w.text) || w.quoted);
    if (!word || word.dynamic || SHELL_WORDS.has(word.text)) continue;
    const found = word.text.includes('/') ? isExecutable(word.text) : findOnPath(word.text, dirs);
    if (!found) missing.add(word.text);
  }
  return [...missing];
}

function parseDefined(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split('\0')) {
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function failureLine(code: number | null, signal: NodeJS.Signals | null, output: string): string {
  const last = output.trim().split('\n').pop()?.trim();
  const what = signal
    ? `killed by ${signal}`
    : code === 127
      ? 'command not found (exit 127)'
      : `exit ${code}`;
  return last ? `${what}: ${last.slice(0, 300)}` : what;
}
