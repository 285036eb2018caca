/**
 * Which kubectl flags the local translation honours, and a note for every one it does not:
 * a flag the platform verb ignores is a place where the drill on local differs from the
 * command on a cluster, and the report must say so rather than pass silently.
 */
import type { KubectlCall } from './kubectl.ts';

/** Flags each translated verb carries over to its platform verb. */
// biome-ignore format: a dense table reads better than one entry per line
const HONOURED: Readonly<Record<string, readonly string[]>> = {
  get: [], describe: [], 'rollout status': [], 'rollout restart': [],
  logs: ['previous', 'tail', 'since'],
  // -i passes stdin through; the probes runbooks run read none, so it changes nothing
  exec: ['stdin'],
  scale: ['replicas'], 'set env': ['env'], 'set resources': ['limits', 'requests'], delete: [],
};

/** Honoured by every verb: the namespace is checked, the selector picks the workload. */
const ALWAYS = new Set(['namespace', 'selector']);

/** Why a flag matters, for the flags runbooks use most; anything else gets the generic note. */
function why(call: KubectlCall, name: string, value: string | true): string {
  switch (name) {
    case 'follow':
      return 'would not end on a cluster: `logs -f` follows the log until interrupted; local returns the logs so far at once';
    case 'watch':
      return `would not end on a cluster: \`${call.verb} -w\` watches until interrupted; local returns one listing`;
    case 'tty':
      return 'needs a TTY on a cluster: run from a script, kubectl prints "Unable to use a TTY - input is not a terminal"; local ignores it';
    case 'field-selector':
      return 'not applied on local: the listing covers every pod of the workload, whatever their phase';
    case 'output':
      return typeof value === 'string' && value.startsWith('jsonpath')
        ? 'not applied on local: kubectl would print only the jsonpath expression; local prints its own table'
        : `output format \`${String(value)}\` not reproduced on local`;
    case 'timeout':
      return 'not honoured on local: kubectl would wait up to this long for the rollout to finish; local reports the status at once';
    case 'ignore-not-found':
      return 'not honoured on local: a missing object fails the step, where kubectl would exit 0';
    case 'all-namespaces':
      return 'not honoured on local: only the drill namespace exists';
    case 'container':
      return 'not honoured on local: workloads there have one container';
    case 'tail':
    case 'since':
      return `value \`${String(value)}\` not understood on local; the whole log is returned`;
    default:
      return 'not honoured by the local translation; it runs as if the flag were absent';
  }
}

/**
 * One note per flag the local translation does not honour, naming the flag as written.
 *
 * @example
 * unhonouredFlags(parseKubectl(words('kubectl logs -f deploy/x'))!)
 * // -> ['`-f`: would not end on a cluster: ...']
 */
export function unhonouredFlags(call: KubectlCall): string[] {
  const honoured = new Set(HONOURED[call.verb] ?? []);
  const notes: string[] = [];
  for (const f of call.flags) {
    if (ALWAYS.has(f.name)) continue;
    // an unreadable --tail/--since is dropped by the translation, so it is not honoured either
    const readable =
      (f.name !== 'tail' || (typeof f.value === 'string' && /^\d+$/.test(f.value))) &&
      (f.name !== 'since' || (typeof f.value === 'string' && /^\d+[smh]?$/.test(f.value)));
    if (honoured.has(f.name) && readable) continue;
    notes.push(`\`${f.written}\`: ${why(call, f.name, f.value)}`);
  }
  if (call.verb === 'rollout status' && !call.flags.some((f) => f.name === 'timeout'))
    notes.push(
      'would not end on a cluster while the rollout is stuck: `rollout status` without --timeout waits for it to finish; local reports the status at once',
    );
  return notes;
}
