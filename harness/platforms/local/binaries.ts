/**
 * Where the external programs the local platform runs live. Postgres servers are usually not
 * on PATH on Debian (only the pg_wrapper client scripts are), so its versioned directory is
 * searched too.
 */
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Binaries {
  readonly postgres?: string;
  readonly initdb?: string;
  readonly redisServer?: string;
  readonly stressNg?: string;
  readonly unshare?: string;
  readonly mount?: string;
  readonly setpriv?: string;
  readonly getent?: string;
  readonly sh: string;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

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
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export function findBinaries(): Binaries {
  const pg = postgresDirs();
  return {
    postgres: findBinary('postgres', pg),
    initdb: findBinary('initdb', pg),
    redisServer: findBinary('redis-server'),
    stressNg: findBinary('stress-ng'),
    unshare: findBinary('unshare'),
    mount: findBinary('mount'),
    setpriv: findBinary('setpriv'),
    getent: findBinary('getent'),
    sh: findBinary('sh') ?? '/bin/sh',
  };
}
