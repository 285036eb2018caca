/**
 * Postgres for one run, fast: initdb (with the drill's user and database) runs once per
 * machine into a cached template outside the repository; each run copies it (~0.1 s instead
 * of ~1.5 s). The server listens on 127.0.0.1 only, its unix socket in the run's own dir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Ledger, LedgerEntry } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';

export const cacheRoot = (): string => process.env.FIREDRILL_CACHE ?? join(homedir(), '.cache', 'firedrill');

export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
  readonly setpriv?: string;
}

/** Postgres refuses to run as root: as root, servers run as this account. */
export const POSTGRES_USER = 'postgres';
const asRoot = (): boolean => process.getuid?.() === 0;

export function majorVersion(postgres: string): string {
  const out = execFileSync(postgres, ['--version'], { encoding: 'utf8' });
  const m = /(\d+)(?:\.\d+)?/.exec(out);
  if (!m) throw new Error(`cannot read the version from "${out.trim()}"`);
  return m[1]!;
}

/** argv prefix that runs a command as the Postgres account when we are root. */
function asPostgres(bins: PostgresBinaries, argv: string[]): string[] {
  if (!asRoot()) return argv;
  return [
    bins.setpriv ?? 'setpriv',
    `--reuid=${POSTGRES_USER}`,
    `--regid=${POSTGRES_USER}`,
    '--init-groups',
    ...argv,
  ];
}

function chownToPostgres(path: string): void {
  if (asRoot()) execFileSync('chown', ['-R', `${POSTGRES_USER}:${POSTGRES_USER}`, path]);
}

/** The cached data directory for this version, user and database, built on first use. */
export function ensureTemplate(bins: PostgresBinaries, user: string, database: string, log: Logger): string {
  const template = join(cacheRoot(), `pg-template-${majorVersion(bins.postgres)}-${user}-${database}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  log.info(`preparing the Postgres template (once per machine) in ${template}`);
  mkdirSync(dirname(template), { recursive: true });
  // Built under /tmp: the cache may sit in a home the Postgres account cannot enter (/root).
  const building = mkdtempSync(join(tmpdir(), 'firedrill-pg-template-'));
  const staged = `${template}.staged-${process.pid}`;
  try {
    chownToPostgres(building);
    const data = join(building, 'data');
    run(
      asPostgres(bins, [
        bins.initdb,
        '-D',
        data,
        '-U',
        user,
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ]),
    );
    const argv = asPostgres(bins, [bins.postgres, '--single', '-D', data, '-j', 'postgres']);
    const single = spawnSync(argv[0]!, argv.slice(1), {
      input: `CREATE DATABASE ${database};\n`,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (single.status !== 0)
      throw new Error(`CREATE DATABASE failed: ${single.stderr.trim().split('\n').pop()}`);
    execFileSync('cp', ['-a', data, staged]);
    try {
      renameSync(staged, template);
    } catch (err) {
      // Another run built it at the same time: theirs is as good as ours.
      if (!existsSync(join(template, 'PG_VERSION'))) throw err;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
    rmSync(staged, { recursive: true, force: true });
  }
  return template;
}

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
}

export interface PostgresDirs {
  readonly dataDir: string;
  readonly socketDir: string;
  /** Set when the dirs live outside the state dir and so have their own ledger entry. */
  readonly ownEntry?: LedgerEntry;
}

/**
 * Copy the template into `stateDir` (or a short /tmp dir when the state dir is too deep for a
 * unix socket path or not reachable by the Postgres account). Recorded before it is made.
 */
export function preparePostgresDirs(template: string, stateDir: string, ledger: Ledger): PostgresDirs {
  let root = join(stateDir, 'postgres');
  let ownEntry: LedgerEntry | undefined;
  // 107 bytes is the unix socket path limit; ".s.PGSQL.65535" needs 15 of them.
  if (join(root, 'sock').length > 90 || (asRoot() && !traversableByOthers(stateDir))) {
    root = join(tmpdir(), `firedrill-pg-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    ownEntry = ledger.record(`postgres dir ${root}`, { type: 'remove-dir', path: root });
  }
  mkdirSync(root, { recursive: true });
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  execFileSync('cp', ['-a', template, dataDir]);
  mkdirSync(socketDir);
  chownToPostgres(root);
  return { dataDir, socketDir, ownEntry };
}

function traversableByOthers(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    try {
      if ((statSync(p).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(p) === p) return true;
  }
}

/** Server argv: loopback only, durability traded for speed (the data is thrown away). */
export function postgresArgv(
  postgres: string,
  dirs: PostgresDirs,
  port: number,
  settings: Record<string, string | number>,
): string[] {
  const fixed: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...settings,
  };
  return [
    postgres,
    '-D',
    dirs.dataDir,
    '-k',
    dirs.socketDir,
    '-p',
    String(port),
    ...Object.entries(fixed).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
}

export const postgresUser = (): string | undefined => (asRoot() ? POSTGRES_USER : undefined);
