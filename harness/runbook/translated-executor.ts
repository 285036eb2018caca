/**
 * The local executor: each step is translated (kubectl -> platform verb, curl -> HTTP
 * check) and run through the stack's `perform` and an HTTP client. A step without a
 * translation is "not runnable on local", with the reason, never skipped silently.
 */
import type { PlatformAction } from '../platforms/types.ts';
import type { RunEnv, StepExecutor } from './execute.ts';
import { tailExcerpt } from './execute.ts';
import type { Step } from './model.ts';
import { applyFilter } from './output-filter.ts';
import type { StepFinding, StepRun } from './step-result.ts';
import { type HttpCheck, type Translation, translateCommand } from './translate.ts';
import { fillDeep, fillVariables } from './variables.ts';

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface TranslatedExecutorOptions {
  /** RunningStack.perform, bound. */
  readonly perform: (action: PlatformAction, signal?: AbortSignal) => Promise<string>;
  /** Defaults to fetch; only mapped or loopback URLs ever reach it. */
  readonly http?: (request: HttpRequest) => Promise<HttpAnswer>;
  /** The drill's namespace; commands aimed elsewhere are not run. */
  readonly namespace?: string;
  readonly outputLimitBytes?: number;
  /**
   * How many pods a workload has now; lets a `{.items[0]}` pod lookup be judged as a cluster
   * would (no pod: "array index out of bounds"). Without it that check is not made.
   */
  readonly podCount?: (workload: string) => Promise<number>;
}

/** fetch with a deadline. */
export async function fetchHttp(request: HttpRequest): Promise<HttpAnswer> {
  const res = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(request.timeoutMs),
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text() };
}

class StepTimeout extends Error {}

function within<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StepTimeout(`no answer after ${ms} ms`)), ms);
    const onAbort = () => reject(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const describeHttp = (h: HttpCheck) =>
  `HTTP ${h.method} ${h.url}${h.url !== h.originalUrl ? ` (runbook: ${h.originalUrl})` : ''}`;

/**
 * Every way the run just made differs from the command on a cluster, as findings on the step:
 * the translation's notes (flags not honoured, commands that would not end, TTYs) and, when
 * the step looked a pod up by index, whether that lookup would have found one.
 */
async function emulationFindings(
  t: Translation,
  step: Step,
  options: TranslatedExecutorOptions,
): Promise<StepFinding[]> {
  if (!t.translatable) return [];
  const out: StepFinding[] = t.notes.map((message) => ({ kind: 'emulation', message, line: step.line }));
  const workload = t.target === 'platform' ? t.podLookup : undefined;
  if (workload && options.podCount && /items\[\d+\]/.test(step.command)) {
    const pods = await options.podCount(workload).catch(() => undefined);
    if (pods === 0)
      out.push({
        kind: 'emulation',
        severity: 'error',
        message: `${workload} has no pod now: on a cluster the \`{.items[0]}\` lookup fails with "array index out of bounds" and so does this step`,
        line: step.line,
      });
  }
  return out;
}

/** The local executor. */
export function translatedExecutor(options: TranslatedExecutorOptions): StepExecutor {
  const once = runOnce(options);
  return {
    mode: 'translated',
    async run(step, env): Promise<StepRun> {
      const t = translate(step, env, options);
      const run = await once(step, env, t);
      if (run.execution !== 'translated') return run;
      const findings = await emulationFindings(t, step, options);
      return findings.length ? { ...run, findings } : run;
    },
  };
}

const translate = (step: Step, env: RunEnv, options: TranslatedExecutorOptions): Translation =>
  translateCommand(step.command, {
    hostMap: env.hostMap,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });

function runOnce(options: TranslatedExecutorOptions) {
  const http = options.http ?? fetchHttp;
  const limit = options.outputLimitBytes ?? 2048;
  return async (_step: Step, env: RunEnv, t: Translation): Promise<StepRun> => {
    if (!t.translatable)
      return {
        status: 'not-runnable',
        exitCode: null,
        output: '',
        error: `not runnable on local: ${t.reason}`,
        execution: 'none',
      };
    const notes = [...t.notes, ...(t.filter ? [`then \`${t.filter.text}\``] : [])];
    const suffix = notes.length ? `  [${notes.join('; ')}]` : '';
    // The filter runs on what the command printed; like a shell pipeline, its verdict wins.
    const filtered = (raw: string, translatedTo: string, head = ''): StepRun => {
      const f = t.filter ? applyFilter(t.filter, raw) : { output: raw, ok: true };
      const output = tailExcerpt(head + f.output, limit);
      return f.ok
        ? { status: 'passed', exitCode: 0, output, execution: 'translated', translatedTo }
        : {
            status: 'failed',
            exitCode: 1,
            output,
            error: `\`${t.filter!.text}\` matched no line`,
            execution: 'translated',
            translatedTo,
          };
    };
    try {
      if (t.target === 'platform') {
        const action = fillDeep(t.action, env.variables);
        if (JSON.stringify(action).includes('$('))
          return {
            status: 'not-runnable',
            exitCode: null,
            output: '',
            error: 'not runnable on local: value computed by a shell substitution',
            execution: 'none',
          };
        // A timeout or abort also cancels the action itself, not only the wait for it.
        const cancel = new AbortController();
        const out = await within(options.perform(action, cancel.signal), env.timeoutMs, env.signal).catch(
          (err: unknown) => {
            cancel.abort(err);
            throw err;
          },
        );
        return filtered(out, `${JSON.stringify(action)}${suffix}`);
      }
      const h = t.http;
      const request: HttpRequest = {
        method: h.method,
        url: fillVariables(h.url, env.variables),
        headers: fillDeep({ ...h.headers }, env.variables),
        ...(h.body !== undefined ? { body: fillVariables(h.body, env.variables) } : {}),
        timeoutMs: env.timeoutMs,
      };
      const answer = await within(http(request), env.timeoutMs + 1000, env.signal);
      const translatedTo = `${describeHttp(h)}${suffix}`;
      // curl's own exit codes, so kube and local results read alike: 22 = HTTP error with -f.
      if (h.failOnHttpError && answer.status >= 400)
        return {
          status: 'failed',
          exitCode: 22,
          output: tailExcerpt(`HTTP ${answer.status}\n${answer.body}`, limit),
          error: `HTTP ${answer.status} from ${request.url}`,
          execution: 'translated',
          translatedTo,
        };
      return filtered(answer.body, translatedTo, `HTTP ${answer.status}\n`);
    } catch (err) {
      const timedOut = err instanceof StepTimeout || (err instanceof Error && err.name === 'TimeoutError');
      const message =
        err instanceof Error
          ? err.cause instanceof Error
            ? `${err.message}: ${err.cause.message}`
            : err.message
          : String(err);
      return {
        status: timedOut ? 'timed-out' : 'failed',
        exitCode: t.target === 'http' ? (timedOut ? 28 : 7) : 1,
        output: '',
        error: message,
        execution: 'translated',
        translatedTo: t.target === 'http' ? describeHttp(t.http) : JSON.stringify(t.action),
      };
    }
  };
}
