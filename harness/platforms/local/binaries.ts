/**
 * Where the external programs the local platform runs live. Postgres servers are usually not
 * on PATH on Debian (only the pg_wrapper client scripts are), so its versioned directory is
 * searched too; $FIREDRILL_PG_BIN_DIR names one installation's bin directory instead.
 */
import { readdirSync } from 'node:fs';
import { delimiter } from 'node:path';
import { findOnPath } from '../../core/executables.ts';

export interface Binaries {
  readonly postgres?: string;
  readonly initdb?: string;
  readonly redisServer?: string;
  readonly stressNg?: string;
  readonly unshare?: string;
  readonly mount?: string;
  readonly setpriv?: string;
  readonly getent?: string;
  readonly iptables?: string;
  readonly sh: string;
}

function postgresDirs(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

/** First executable named `name` on PATH, then in the extra directories. */
export function findBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/sbin',
    ...extraDirs,
  ];
  return findOnPath(name, dirs);
}

/** Which Postgres installation to use, when several are (or when discovery picks the wrong one). */
export const PG_BIN_DIR_ENV = 'FIREDRILL_PG_BIN_DIR';

/** Only `dir` is searched: an explicit choice of installation is not second-guessed by PATH. */
function inDir(name: string, dir: string): string | undefined {
  return findOnPath(name, [dir]);
}

/** Where postgres and initdb are looked for, for error messages. */
export const postgresSearch = (): string =>
  process.env[PG_BIN_DIR_ENV]
    ? `in ${process.env[PG_BIN_DIR_ENV]} (${PG_BIN_DIR_ENV})`
    : 'on PATH or in /usr/lib/postgresql/*/bin';

export function findBinaries(): Binaries {
  const pgDir = process.env[PG_BIN_DIR_ENV];
  const pg = postgresDirs();
  const findPg = (name: string) => (pgDir ? inDir(name, pgDir) : findBinary(name, pg));
  return {
    postgres: findPg('postgres'),
    initdb: findPg('initdb'),
    redisServer: findBinary('redis-server'),
    stressNg: findBinary('stress-ng'),
    unshare: findBinary('unshare'),
    mount: findBinary('mount'),
    setpriv: findBinary('setpriv'),
    getent: findBinary('getent'),
    iptables: findBinary('iptables'),
    sh: findBinary('sh') ?? '/bin/sh',
  };
}
