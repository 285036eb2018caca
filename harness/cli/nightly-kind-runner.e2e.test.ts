/**
 * The nightly workflow's cluster steps on a simulated GitHub-hosted runner, through kind: the
 * steps before the cluster (as in nightly-simulated-runner.test.ts), then kind cluster creation
 * from kind-config.yaml, the image build and `kind load`, and the drill step itself, all as the
 * runner's non-root user (in the `docker` group, as a hosted runner's user is).
 *
 * What stands in for what this machine cannot give (each also said where it happens):
 * - helm/kind-action: `go install sigs.k8s.io/kind@<its version>`, then `kind create cluster`
 *   with the action's inputs, plus `--image` naming the locally built node image (no registry).
 * - The hosted image's Docker engine: the private dockerd of harness/cluster/kind, its socket
 *   group `docker`. Its image cache holds the job's FIREDRILL_BASE_IMAGE (tagged from the
 *   machine-built Debian base), and the runner's `docker pull` of an image already there answers
 *   from that cache instead of a registry.
 * - `sudo apt-get install prometheus` is recorded, not run; the package's programs, installed
 *   on this machine, are put on the runner's PATH as the install would have.
 * - REPEAT=1 (the workflow's default is 3) keeps the drill step to five drills.
 *
 * Needs root (it drops to the runner's user), the kind parts and the private dockerd
 * (`pnpm cluster up --kind`, then `kind delete cluster --name firedrill`), and
 * FIREDRILL_KIND_RUNNER=1; skipped loudly otherwise. .ci/run's kind tier runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunRecord, runRecordSchema } from '../report/record.ts';
import { REPO } from './testing.ts';
import {
  aptInstalled,
  linkPackages,
  type RunnerSetup,
  runnerIdentity,
  runStep,
  setUpRunner,
  sh,
  stepsBeforeCluster,
  type WorkflowStep,
} from './testing-simulated-runner.ts';

const enabled = process.env['FIREDRILL_KIND_RUNNER'] === '1';

/** Why a drill ended as it did: where its URLs went, its steps that did not pass, its phase ends, its last verification round. */
function whyNot(r: RunRecord): string[] {
  const t0 = r.timeline[0]?.at.monoMs ?? 0;
  const at = (e: { at: { monoMs: number } }) => `+${((e.at.monoMs - t0) / 1000).toFixed(1)} s`;
  const steps = r.steps
    .filter((st) => st.status !== 'passed')
    .map(
      (st) =>
        `step ${st.id} ${st.status}: ${st.command ?? ''} ${(st.output ?? '').split('\n')[0]?.slice(0, 160)}`,
    );
  const phases = r.timeline
    .filter((e) => e.type === 'phase.end')
    .map((e) => `${at(e)} ${String(e['phase'])} ${e['ok'] ? 'ok' : `NOT ok ${String(e['error'] ?? '')}`}`);
  const lastRound = r.timeline.filter((e) => e.type === 'verify.round').at(-1);
  return [
    // where the runbook's URLs went (NodePort or a listener of ours): who answered what
    `host map: ${JSON.stringify(r.hostMap)}`,
    ...steps,
    ...phases,
    ...(lastRound
      ? [`${at(lastRound)} last verification round: ${JSON.stringify(lastRound['failures'] ?? [])}`]
      : []),
  ];
}
const identity = runnerIdentity();
const skip = !enabled
  ? 'set FIREDRILL_KIND_RUNNER=1 with the kind parts built and no kind cluster up (.ci/run kind tier)'
  : 'skip' in identity
    ? identity.skip
    : process.getuid?.() !== 0
      ? 'needs root: the runner is simulated by dropping to another user'
      : '';
if (skip) console.warn(`SKIPPED the nightly workflow through kind on a simulated runner: ${skip}`);

const LOCAL_KIND = join(REPO, 'harness/cluster/kind/local.sh');

/** DOCKER_HOST, KIND_BIN and NODE_IMAGE of the private kind setup. */
function kindSetup(): Record<string, string> {
  const r = spawnSync('bash', [LOCAL_KIND, 'env'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`local.sh env: ${r.stderr}`);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe.skipIf(Boolean(skip))('the nightly workflow through kind, on a simulated runner', () => {
  const kind = skip ? {} : kindSetup();
  const rootEnv = { ...process.env, DOCKER_HOST: kind['DOCKER_HOST'] ?? '' };
  const asRoot = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { env: rootEnv, encoding: 'utf8' });
  const clusterName = () => String(kindStep().with?.['cluster_name'] ?? 'kind');
  let setup: RunnerSetup;
  /** Set once this test asks kind for its cluster: only then is the cluster its own to delete. */
  let creating = false;
  const kindStep = () => setup.job.steps.find((s) => s.uses?.startsWith('helm/kind-action@'))!;
  const log = (line: string) => console.log(`kind runner: ${line}`);

  beforeAll(() => {
    const docker = asRoot(['docker', 'info', '--format', '{{.ServerVersion}}']);
    if (docker.status !== 0)
      throw new Error(`the private dockerd is not running (pnpm cluster up --kind): ${docker.stderr}`);
    if (asRoot(['docker', 'image', 'inspect', kind['NODE_IMAGE']!]).status !== 0)
      throw new Error(`no node image ${kind['NODE_IMAGE']} (pnpm cluster up --kind builds it)`);
    const group = /^docker:[^:]*:(\d+):/m.exec(readFileSync('/etc/group', 'utf8'));
    if (!group) throw new Error('no docker group: the private dockerd gives its socket to it');
    const who = { ...(identity as { uid: number; gid: number }), groups: [Number(group[1])] };
    // what the ubuntu-24.04 image ships beyond a bare one, and the runner's steps use
    setup = setUpRunner(who, {
      docker: dockerFromImageCache(),
      kubectl: sh('command -v kubectl'),
      curl: sh('command -v curl'), // the runbook's diagnostics call it
      go: sh('PATH=$PATH:/usr/local/go/bin command -v go'),
    });
    setup.runner.env['DOCKER_HOST'] = kind['DOCKER_HOST']!;
    setup.runner.env['REPEAT'] = '1';
    // the job's base image, in the engine's image cache (the machine-built Debian base)
    const base = setup.runner.env['FIREDRILL_BASE_IMAGE']!;
    if (asRoot(['docker', 'image', 'inspect', base]).status !== 0) {
      const tagged = asRoot(['docker', 'tag', 'firedrill/debian-base:bookworm', base]);
      if (tagged.status !== 0)
        throw new Error(
          `cannot put ${base} in the image cache: ${tagged.stderr} (build it: harness/cluster/fixture-images.sh)`,
        );
    }
    const clusters = asRoot([join(kind['KIND_BIN']!, 'kind'), 'get', 'clusters']).stdout;
    if (clusters.split('\n').includes(clusterName()))
      throw new Error(`kind cluster ${clusterName()} exists: delete it first (the workflow creates its own)`);
  }, 900_000);

  afterAll(() => {
    if (creating) asRoot([join(kind['KIND_BIN']!, 'kind'), 'delete', 'cluster', '--name', clusterName()]);
    setup?.remove();
  }, 300_000);

  /** A `docker` that answers `pull` of an image already in the engine's cache from there. */
  function dockerFromImageCache(): string {
    const file = join(REPO, 'node_modules/.cache/firedrill-runner-docker');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      `#!/bin/bash
# the simulated runner's docker: no registry here, so a pull of an image in the cache is answered from it
if [[ "$1" == pull && $# -eq 2 ]] && /usr/bin/docker image inspect "$2" >/dev/null 2>&1; then
  echo "$2: in the engine's image cache (no registry here)"; exit 0
fi
exec /usr/bin/docker "$@"
`,
      { mode: 0o755 },
    );
    return file;
  }

  /** helm/kind-action, as this machine can do it: go install kind, then kind create cluster. */
  function kindAction(step: WorkflowStep): void {
    const w = step.with ?? {};
    const bin = join(setup.runner.temp, 'kind-bin');
    const go = setup.inRunner(`GOBIN=${bin} go install sigs.k8s.io/kind@${w['version']}`, {
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-buildvcs=false',
    });
    expect(go.status, `go install kind:\n${go.stderr.slice(-2000)}`).toBe(0);
    setup.runner.path.unshift(bin);
    creating = true;
    const create = setup.inRunner(
      [
        'kind create cluster',
        `--name ${w['cluster_name']}`,
        `--config ${w['config']}`,
        `--wait ${w['wait']}`,
        `--image ${kind['NODE_IMAGE']}`, // the one divergence: no registry to pull kindest/node from
      ].join(' '),
    );
    expect(create.status, `kind create cluster:\n${create.stderr.slice(-3000)}`).toBe(0);
    // What kind's --wait does not cover on this node image: its NetworkPolicy (kube-router, in
    // place of kindnet's) and CoreDNS. Waited for as the runner, with the kubeconfig kind wrote.
    for (const what of ['daemonset/kube-router', 'deployment/coredns']) {
      const ready = setup.inRunner(`kubectl -n kube-system rollout status ${what} --timeout=180s`);
      expect(ready.status, `${what}: ${ready.stdout}${ready.stderr}`).toBe(0);
    }
  }

  it('creates the cluster, loads the images and drills every scenario to a verdict, as the runner', () => {
    const { runner, job } = setup;
    const drillStep = job.steps.findIndex((s) => s.name?.startsWith('Fire drills'));
    expect(drillStep).toBeGreaterThan(stepsBeforeCluster(job).length);
    for (const [i, step] of job.steps.slice(0, drillStep + 1).entries()) {
      const started = performance.now();
      if (step.uses?.startsWith('helm/kind-action@')) kindAction(step);
      else if (step.uses)
        continue; // checkout, setup-node, pnpm, cache restore: as in the other test
      else {
        const r = runStep(runner, step, i);
        // the drill step exits 1 when a drill misses its target: a verdict, checked below
        const ok = i === drillStep ? [0, 1] : [0];
        expect(ok, `step "${step.name}" exit ${r.status}:\n${r.output.slice(-3000)}`).toContain(r.status);
        const packages = r.sudo.flatMap(aptInstalled);
        if (packages.length) {
          const dir = join(runner.temp, 'apt-bin');
          linkPackages(dir, packages);
          if (!runner.path.includes(dir)) runner.path.unshift(dir);
        }
      }
      log(`"${step.name ?? step.uses}" done in ${Math.round(performance.now() - started)} ms`);
    }
    // the drill step's records: five scenarios, each with a verdict and restored
    const runs = join(runner.workspace, 'reports/runs');
    const records = readdirSync(runs)
      .filter((f) => f.endsWith('.json'))
      .map((f) => runRecordSchema.parse(JSON.parse(readFileSync(join(runs, f), 'utf8'))));
    const s = (ms: number | null | undefined) => (ms == null ? '-' : `${(ms / 1000).toFixed(1)} s`);
    for (const r of records) {
      log(
        `${r.scenario.name}: ${r.outcome}, MTTD ${s(r.metrics?.mttdMs)}, MTTR ${s(r.metrics?.mttrMs)} (${r.detectionSource})`,
      );
      // Any verdict is accepted here, but one that is not the fixture runbook's own success is
      // worth a why in the CI log (the runner's records do not outlive the test).
      if (r.outcome !== 'resolved-by-runbook') for (const line of whyNot(r)) log(`  ${line}`);
    }
    expect(records.map((r) => r.scenario.name).sort()).toEqual([
      'crash-loop',
      'db-outage',
      'llm-rate-limit',
      'network-partition',
      'resource-exhaustion',
    ]);
    for (const r of records) {
      expect(r.outcome, r.scenario.name).not.toBe('aborted');
      expect(r.restore.ok, r.scenario.name).toBe(true);
      expect(r.platform, r.scenario.name).toBe('kube');
      // the Prometheus the workflow's apt-get step installs, not the fallback probes
      expect(r.detectionSource, r.scenario.name).toBe('prometheus');
    }
    expect(existsSync(join(runner.workspace, 'reports/latest.junit.xml'))).toBe(true);
  }, 2_400_000);
});
