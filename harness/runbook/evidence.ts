/**
 * Evidence is not a defect: a diagnostic that fails because the system is down (curl to a
 * dead API, nc to a halted database, exec into a crash-looping pod) did its job. Only a
 * failure of the outage's own kind counts, and only while the outage is known to be in force;
 * a step that fails for a reason of its own (unknown resource type, bad flag, missing
 * variable, hung) stays a finding.
 */
import type { StepRun } from './step-result.ts';

/**
 * curl's exit codes for "the service did not answer properly": could not connect (7), HTTP
 * error with -f (22), timed out (28), empty reply (52), reset while receiving (56).
 */
const CURL_OUTAGE_EXITS = new Set([7, 22, 28, 52, 56]);

/** What connection-level and outage-level failures print, on kube (literal tools) and local (translated). */
const OUTAGE_TEXT = new RegExp(
  [
    String.raw`\bHTTP [45]\d\d\b`,
    String.raw`returned error: [45]\d\d`,
    'connection refused',
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'connection reset',
    'connection timed out',
    String.raw`\btimed out\b`,
    'no answer within',
    'could not connect',
    'server closed the connection',
    'no route to',
    'has no route',
    'could not translate host name',
    'unable to upgrade connection',
    'container not found',
    'is not running',
    'cannot exec into a container',
    'CrashLoopBackOff',
    'has no pods',
    'no ready pods',
    'no pods to run',
    'Failed to connect',
    "Couldn't connect",
  ].join('|'),
  'i',
);

/**
 * `nc -z` (port scan mode) has one way to fail: the port did not accept a connection. Without
 * -v it prints nothing, so its exit status (1, also as kubectl exec reports it) is the evidence.
 */
const NC_SCAN = /(^|[\s;&|(])(nc|ncat|netcat)\s+([^|;&]*\s)?-[a-zA-Z]*z/;
const NC_FAILED = /command terminated with exit code 1\b/;

/** Did this diagnostic fail the way the outage makes things fail? */
export function failedLikeTheOutage(
  command: string,
  run: Pick<StepRun, 'status' | 'exitCode' | 'error' | 'output'>,
): boolean {
  if (run.status !== 'failed') return false;
  if (/^\s*curl\b/.test(command) && run.exitCode !== null && CURL_OUTAGE_EXITS.has(run.exitCode)) return true;
  if (NC_SCAN.test(command) && (run.exitCode === 1 || NC_FAILED.test(run.error ?? ''))) return true;
  return OUTAGE_TEXT.test(`${run.error ?? ''}\n${run.output.slice(-2048)}`);
}
