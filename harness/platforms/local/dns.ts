/**
 * Name resolution per workload, the local stand-in for cluster DNS. Each instance of a
 * workload runs in a private mount namespace with these files bind-mounted over /etc/hosts,
 * /etc/nsswitch.conf and /etc/resolv.conf: service names resolve to loopback from the hosts
 * file only, and nothing is ever asked of an outside resolver. glibc reads /etc/hosts on
 * every lookup, so rewriting the file in place (same inode, so the bind mount sees it) makes
 * names stop resolving at once for new connections: a real DNS failure, not a simulated one.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateFiles } from './launcher.ts';

const NSSWITCH = ['passwd', 'group', 'shadow', 'hosts', 'networks', 'protocols', 'services', 'ethers', 'rpc']
  .map((db) => `${db}: files`)
  .join('\n');
// Programs that bypass getaddrinfo (c-ares, dig) get a resolver that cannot leave the machine.
const RESOLV = 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n';

/** Names a Service answers to inside the cluster: short, namespaced and fully qualified. */
export const serviceAliases = (name: string, namespace: string): string[] => [
  name,
  `${name}.${namespace}`,
  `${name}.${namespace}.svc`,
  `${name}.${namespace}.svc.cluster.local`,
];

export class WorkloadDns {
  readonly files: PrivateFiles;
  private readonly services: readonly string[];
  private readonly namespace: string;
  private broken = new Set<string>();

  constructor(dir: string, services: readonly string[], namespace: string) {
    mkdirSync(dir, { recursive: true });
    this.files = {
      hosts: join(dir, 'hosts'),
      nsswitch: join(dir, 'nsswitch.conf'),
      resolv: join(dir, 'resolv.conf'),
    };
    this.services = services;
    this.namespace = namespace;
    writeFileSync(this.files.nsswitch, NSSWITCH + '\n');
    writeFileSync(this.files.resolv, RESOLV);
    this.write();
  }

  /** Names (short service names or any alias) stop resolving. */
  break(names: readonly string[]): void {
    for (const n of names) this.broken.add(n);
    this.write();
  }

  restore(): void {
    this.broken.clear();
    this.write();
  }

  get brokenNames(): readonly string[] {
    return [...this.broken];
  }

  private write(): void {
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost'];
    for (const service of this.services) {
      const aliases = serviceAliases(service, this.namespace);
      if (aliases.some((a) => this.broken.has(a))) continue;
      lines.push(`127.0.0.1\t${aliases.join(' ')}`);
    }
    // writeFileSync truncates and rewrites the same inode; a rename would leave the bind
    // mount pointing at the old file.
    writeFileSync(this.files.hosts, lines.join('\n') + '\n');
  }
}

/** `sh -c script args...` in a throwaway mount namespace: its bind mounts touch nothing outside it. */
export function inPrivateMounts(unshare: string, sh: string, script: string, args: readonly string[]) {
  return spawnSync(unshare, ['--mount', '--propagation', 'private', '--', sh, '-c', script, ...args], {
    encoding: 'utf8',
    timeout: 5000,
  });
}

/**
 * Whether private /etc/hosts works here: a throwaway mount namespace resolves a name that
 * only its own hosts file knows. Changes nothing outside that namespace.
 */
export function probePrivateHosts(unshare: string | undefined, sh: string): string | undefined {
  if (!unshare) return 'unshare not found (util-linux)';
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-dns-probe-'));
  try {
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, '127.0.0.1 firedrill-dns-probe\n');
    const r = inPrivateMounts(
      unshare,
      sh,
      'mount --bind "$0" /etc/hosts && getent hosts firedrill-dns-probe',
      [hosts],
    );
    return r.status === 0
      ? undefined
      : `private mount namespaces unavailable: ${(r.stderr || r.error?.message || '').trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
