/**
 * `pnpm bench footprint`: what loading each part of the harness costs in resident memory, so
 * the kube RSS goal's allowance for @kubernetes/client-node is a measured figure, not a guess.
 * Each part is loaded in a fresh node process (same binary, NODE_OPTIONS and compile cache as
 * a drill), which reports its own getrusage peak and its resident set after a full GC; a
 * part's cost is its median minus a bare process's. Costs do not add up: peaks depend on when
 * the collector ran, and parts share node's own modules (HTTP, TLS). Loading is what a drill
 * pays before it does anything; a kube drill's watches and caches come on top (the drills
 * bench's RSS column shows the whole).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distribution } from '../harness/core/metrics.ts';
import { renderTable } from './table.ts';

/** A part of the harness as a child process loads it. */
export interface FootprintPart {
  readonly name: string;
  /** Why this part is measured, printed beside it. */
  readonly what: string;
  /** ESM body run in the child; `root` is the repository's file URL, with a trailing slash. */
  readonly body: string;
}

export interface PartFootprint {
  readonly name: string;
  readonly what: string;
  /** Median peak RSS of the child, MB. */
  readonly peakMb: number;
  /** Median peak minus the bare process's median, MB. */
  readonly costMb: number;
  /** Median resident set once loaded and garbage-collected, minus the bare process's, MB: what the part keeps. */
  readonly keptMb: number;
  /** Median time to load, ms (the child's own clock, from its first line to its last). */
  readonly loadMs: number;
}

export const BARE: FootprintPart = { name: 'bare node', what: 'the process alone', body: '' };

/** The parts a drill loads on each platform, and the Kubernetes client on its own. */
export function harnessParts(): FootprintPart[] {
  return [
    BARE,
    {
      name: 'local drill',
      what: 'run loop + local platform (what pnpm scenario loads on local)',
      body: `await import(root + 'harness/run/loop.ts');
await import(root + 'harness/run/compose.ts');
await import(root + 'harness/platforms/local/index.ts');`,
    },
    {
      name: 'client-node',
      what: '@kubernetes/client-node with the API clients a drill makes',
      body: `const k = await import('@kubernetes/client-node');
const config = new k.KubeConfig();
config.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
  users: [{ name: 'u', token: 't' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'n' }],
  currentContext: 'x',
});
for (const api of [k.AppsV1Api, k.CoreV1Api, k.NetworkingV1Api, k.RbacAuthorizationV1Api, k.VersionApi])
  config.makeApiClient(api);`,
    },
    {
      name: 'kube drill',
      what: 'run loop + kube platform (client-node included)',
      body: `await import(root + 'harness/run/loop.ts');
await import(root + 'harness/run/compose.ts');
await import(root + 'harness/platforms/kube/index.ts');`,
    },
  ];
}

/** One child: load the part, then print its own peak RSS and load time as JSON. */
export async function measurePart(
  part: FootprintPart,
  repoRoot: string,
): Promise<{ peakKb: number; keptKb: number; loadMs: number }> {
  const script = `const root = ${JSON.stringify(pathToFileURL(join(repoRoot, '/')).href)};
const t0 = performance.now();
${part.body}
const loadMs = performance.now() - t0;
globalThis.gc();
process.stdout.write(JSON.stringify({ peakKb: process.resourceUsage().maxRSS, keptKb: process.memoryUsage().rss / 1024, loadMs }));`;
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: repoRoot, // bare specifiers resolve from the repository's node_modules
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b;
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    // node prints the failing source line first; the error's own line is the one that says why
    const lines = stderr.trim().split('\n');
    const why = lines.find((l) => /^\w*Error\b|^Error \[/.test(l)) ?? lines[0];
    throw new Error(`loading ${part.name} failed (exit ${code}): ${why}`);
  }
  return JSON.parse(stdout) as { peakKb: number; keptKb: number; loadMs: number };
}

/** At least one sample per part (repeats ≥ 1), so the p50 is never null. */
const median = (xs: readonly number[]): number => distribution(xs).p50!;

/** Each part `repeats` times, interleaved so a drifting machine affects every part alike. */
export async function runFootprintBench(opts: {
  repoRoot: string;
  parts?: readonly FootprintPart[];
  repeats?: number;
  progress?: (line: string) => void;
}): Promise<PartFootprint[]> {
  const parts = opts.parts ?? harnessParts();
  if (parts[0] !== BARE)
    throw new Error('the first part must be the bare process: costs are measured against it');
  const samples = parts.map(() => ({
    peakKb: [] as number[],
    keptKb: [] as number[],
    loadMs: [] as number[],
  }));
  for (let i = 0; i < (opts.repeats ?? 3); i++)
    for (const [j, part] of parts.entries()) {
      opts.progress?.(`footprint: ${part.name} #${i + 1}`);
      const m = await measurePart(part, opts.repoRoot);
      samples[j]!.peakKb.push(m.peakKb);
      samples[j]!.keptKb.push(m.keptKb);
      samples[j]!.loadMs.push(m.loadMs);
    }
  const mb = (j: number, k: 'peakKb' | 'keptKb') => median(samples[j]![k]) / 1024;
  return parts.map((p, j) => ({
    name: p.name,
    what: p.what,
    peakMb: mb(j, 'peakKb'),
    costMb: mb(j, 'peakKb') - mb(0, 'peakKb'),
    keptMb: mb(j, 'keptKb') - mb(0, 'keptKb'),
    loadMs: median(samples[j]!.loadMs),
  }));
}

export function formatFootprint(rows: readonly PartFootprint[]): string[] {
  const lines = renderTable(
    ['part', 'peak RSS MB', 'peak over bare MB', 'kept after GC MB', 'load ms', 'what'],
    rows.map((r) => [
      r.name,
      r.peakMb.toFixed(1),
      r.costMb.toFixed(1),
      r.keptMb.toFixed(1),
      r.loadMs.toFixed(0),
      r.what,
    ]),
  );
  const local = rows.find((r) => r.name === 'local drill');
  const kube = rows.find((r) => r.name === 'kube drill');
  const client = rows.find((r) => r.name === 'client-node');
  if (local && kube && client)
    lines.push(
      `a kube drill keeps ${(kube.keptMb - local.keptMb).toFixed(1)} MB more than a local one once loaded (peak ${(kube.costMb - local.costMb).toFixed(1)} MB more): ` +
        `that is what client-node and the kube platform cost a drill; client-node alone keeps ${client.keptMb.toFixed(1)} MB over a bare process ` +
        `(peak ${client.costMb.toFixed(1)}), part of it node's own HTTP and TLS modules, which a local drill loads as well`,
    );
  return lines;
}
