/**
 * From a workload's declared spec to what one of its pods runs: argv, env with placeholders
 * resolved, user, stop signal, readiness. Also the URLs of services, as a workload sees them
 * (its own link proxy, by service name when private /etc/hosts works) and as the harness
 * sees them (the Service proxy on 127.0.0.1).
 */
import type { Binaries } from './binaries.ts';
import type { WorkloadDns } from './dns.ts';
import type { StackNetwork } from './network.ts';
import type { ContainerTemplate } from './pod.ts';
import { type PostgresDirs, postgresArgv, postgresUser } from './postgres.ts';
import type { StackSpec, WorkloadSpec } from './stack-file.ts';
import type { Workload } from './workload.ts';

export interface TemplateInputs {
  readonly spec: StackSpec;
  readonly bins: Binaries;
  readonly network: StackNetwork;
  readonly dns: ReadonlyMap<string, WorkloadDns>;
  readonly pgDirs: ReadonlyMap<string, PostgresDirs>;
  readonly runId: string;
  readonly useHostnames: boolean;
}

const TCP_READINESS = { type: 'tcp', periodMs: 1000 } as const;

export function makeTemplates(inputs: TemplateInputs) {
  const { spec, bins, network } = inputs;
  const byName = new Map(spec.workloads.map((w) => [w.name, w]));

  const url = (target: string, host: string, port: number): string => {
    const w = byName.get(target)!;
    switch (w.kind) {
      case 'postgres':
        return `postgres://${w.user}:${encodeURIComponent(w.password)}@${host}:${port}/${w.database}`;
      case 'redis':
        return `redis://${host}:${port}`;
      case 'process':
        return w.scheme === 'http' ? `http://${host}:${port}` : `${host}:${port}`;
    }
  };

  const endpointFor = (from: string, to: string): string => {
    const port = network.linkPort(from, to);
    if (port === undefined) throw new Error(`no link from ${from} to ${to}`);
    return url(to, inputs.useHostnames ? to : '127.0.0.1', port);
  };

  const resolve = (text: string, from: string, pod: { name: string; port: number } | undefined): string =>
    text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
      if (key.startsWith('endpoint:')) return endpointFor(from, key.slice('endpoint:'.length));
      switch (key) {
        case 'node':
          return process.execPath;
        case 'stackDir':
          return spec.dir;
        case 'namespace':
          return spec.namespace;
        case 'port':
          return pod ? String(pod.port) : whole;
        case 'pod':
          return pod ? pod.name : whole;
        default:
          return whole;
      }
    });

  const baseEnv = (pod: { name: string }): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    // Lets a human (and the leftover test) find every process of a run.
    FIREDRILL_RUN: inputs.runId,
    FIREDRILL_POD: pod.name,
  });

  const template = (w: WorkloadSpec, pod: { name: string; port: number }): ContainerTemplate => {
    const common = { cwd: spec.dir, graceMs: w.terminationGracePeriodMs, resources: w.resources };
    switch (w.kind) {
      case 'postgres': {
        const dirs = inputs.pgDirs.get(w.name);
        if (!dirs || !bins.postgres) throw new Error(`${w.name}: Postgres is not prepared`);
        return {
          ...common,
          argv: postgresArgv(bins.postgres, dirs, pod.port, w.settings),
          env: baseEnv(pod),
          user: postgresUser(),
          // SIGINT is Postgres' "fast" shutdown; SIGTERM would wait for every client to leave.
          stopSignal: 'SIGINT',
          readiness: { type: 'postgres', user: w.user, database: w.database, periodMs: 1000 },
        };
      }
      case 'redis':
        if (!bins.redisServer) throw new Error(`${w.name}: redis-server not found`);
        return {
          ...common,
          argv: [
            bins.redisServer,
            '--port',
            String(pod.port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
          ],
          env: baseEnv(pod),
          stopSignal: 'SIGTERM',
          readiness: TCP_READINESS,
        };
      case 'process': {
        const env = { ...baseEnv(pod) };
        for (const [k, v] of Object.entries(w.env)) env[k] = resolve(v, w.name, pod);
        return {
          ...common,
          argv: w.command.map((c) => resolve(c, w.name, pod)),
          env,
          stopSignal: 'SIGTERM',
          readiness: w.readiness,
          privateFiles: inputs.dns.get(w.name)?.files,
        };
      }
    }
  };

  /** The env a workload declares, resolved for its first pod. */
  const declaredEnv = (w: Workload): Record<string, string> => {
    if (w.spec.kind !== 'process') return {};
    const pod = w.pods[0];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(w.spec.env)) env[k] = resolve(v, w.name, pod);
    return env;
  };

  const serviceUrl = (workload: string): string => {
    const port = network.servicePort(workload);
    if (port === undefined) throw new Error(`no service for ${workload}`);
    return url(workload, '127.0.0.1', port);
  };

  return { template, declaredEnv, serviceUrl };
}
