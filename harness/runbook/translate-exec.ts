/**
 * `kubectl exec <workload> -- <program>` -> the platform's exec-check verb, for the
 * read-only probes runbooks use: nc, nslookup/dig/getent, env | grep, psql -c, redis-cli ping, ps.
 */
import type { PlatformAction } from '../platforms/types.ts';
import { type Invocation, isTimeout, timedCommand } from './invocation.ts';
import type { ShellWord } from './shell.ts';
import { no, type Translation } from './translate-types.ts';

export function translateExec(
  workload: string,
  remote: readonly ShellWord[],
  filter: Invocation | undefined,
): Translation {
  // `timeout 5 redis-cli ...`: the local checks bound themselves; translate what it runs
  if (isTimeout(remote[0]?.text)) return translateExec(workload, timedCommand(remote), filter);
  const prog = remote[0]?.text.replace(/^.*\//, '');
  const args = remote.slice(1).map((w) => w.text);
  const positional = args.filter((a) => !a.startsWith('-'));
  const check = (
    c: Extract<PlatformAction, { verb: 'exec-check' }>['check'],
    target?: string,
  ): Translation => ({
    translatable: true,
    target: 'platform',
    action: { verb: 'exec-check', workload, check: c, ...(target !== undefined ? { target } : {}) },
    description: `exec-check ${c}${target ? ` ${target}` : ''} from ${workload}`,
    notes: [],
  });
  switch (prog) {
    case 'nc':
    case 'ncat': {
      // Skip option values (-w 3) so host and port are the last two positionals.
      const hp = args.filter((a, i) => !a.startsWith('-') && !/^-[wiq]$/.test(args[i - 1] ?? ''));
      return hp.length >= 2
        ? check('tcp', `${hp[hp.length - 2]}:${hp[hp.length - 1]}`)
        : no('nc without host and port');
    }
    case 'nslookup':
    case 'dig':
    case 'host':
      return positional[0] ? check('dns', positional[0]) : no(`${prog} without a name`);
    case 'getent':
      return positional[0] === 'hosts' && positional[1]
        ? check('dns', positional[1])
        : no('getent other than hosts');
    case 'env':
    case 'printenv': {
      const pattern =
        filter && filter.program === 'grep'
          ? filter.words.slice(1).find((w) => !w.text.startsWith('-'))?.text
          : undefined;
      return check('env', pattern);
    }
    case 'psql': {
      const c = args.indexOf('-c');
      const sql = c >= 0 ? args[c + 1] : args.find((a) => a.startsWith('--command='))?.slice(10);
      if (!sql) return no('psql without -c "<query>"');
      if (/\b(insert|update|delete|drop|alter|truncate|create)\b/i.test(sql))
        return no('psql statement writes data');
      // The check is "the database answers from here": target is the host psql connects to.
      const h = args.indexOf('-h');
      return check('sql', h >= 0 ? args[h + 1] : workload);
    }
    case 'redis-cli': {
      if (!/^ping$/i.test(positional[positional.length - 1] ?? ''))
        return no('redis-cli command other than PING');
      const h = args.indexOf('-h');
      return check('redis-ping', h >= 0 ? args[h + 1] : workload);
    }
    case 'ps':
      return check('ps');
    default:
      return no(`kubectl exec of \`${prog ?? ''}\` has no counterpart on the local platform`);
  }
}
