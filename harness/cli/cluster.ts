// `pnpm cluster up | down | status`: the Kubernetes cluster firedrill's kube platform runs on.
//
// Two ways to get one, chosen automatically (or forced with --kind / --self-built, or
// FIREDRILL_CLUSTER=kind|self-built):
// - kind: where the `kind` CLI and a working Docker engine exist (a laptop, GitHub Actions).
//   The cluster is created from kind-config.yaml at the repo root (pinned node image, ports on
//   127.0.0.1), context `kind-firedrill`. As root on Linux without a usable kind + Docker,
//   `--kind` first builds kind, a node image and a private dockerd (harness/cluster/kind).
// - self-built: a real single-node cluster from Kubernetes' own sources (harness/cluster/*.sh):
//   binaries built through the Go module proxy, containerd/runc/CNI from Debian, everything
//   started as plain processes. Context `firedrill-local`.
// Either way the kubeconfig is written to ${FIREDRILL_CACHE:-~/.cache/firedrill}/kubeconfig.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = join(REPO, 'harness', 'cluster');
const CACHE = process.env['FIREDRILL_CACHE'] ?? join(homedir(), '.cache', 'firedrill');
const KUBECONFIG = process.env['FIREDRILL_KUBECONFIG'] ?? join(CACHE, 'kubeconfig');
const MODE_FILE = join(CACHE, 'cluster-mode');
const KIND_NAME = 'firedrill';
const KIND_CONFIG = join(REPO, 'kind-config.yaml');

type Mode = 'kind' | 'self-built';
type Command = 'up' | 'down' | 'status' | 'load';

const USAGE = `usage: pnpm cluster <up|down|status> [--kind | --self-built]
       pnpm cluster load IMAGE.tar... [--kind | --self-built]

  up       create or reuse the cluster; prints the kubeconfig path
  down     stop the cluster and clean up processes, mounts, interfaces, iptables rules
  status   show what runs (exit 0 when the cluster is up, 3 when it is not)
  load     put image archives (docker save / OCI tarballs) on the node, e.g. the fixture
           images from fixtures/k8s/images/build.sh --save DIR

  --kind         use kind (needs the kind CLI and a Docker engine that can get kind's node image;
                 as root on Linux without them: builds both locally, harness/cluster/kind)
  --self-built   use the cluster built from source here (needs root, Go, Debian packages)
  default: kind when kind and Docker are usable, otherwise self-built
           (override with FIREDRILL_CLUSTER=kind|self-built)

kubeconfig: ${KUBECONFIG} (context firedrill-local or kind-${KIND_NAME})`;

function say(line: string): void {
  process.stderr.write(`[cluster] ${line}\n`);
}

/** Runs a command with inherited stdio; returns its exit status. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.error) {
    say(`cannot run ${cmd}: ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}

/** Runs a command quietly (bounded by timeoutMs); true when it exits 0. */
function ok(cmd: string, args: string[], timeoutMs = 15_000): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: timeoutMs });
  return !r.error && r.status === 0;
}

function output(cmd: string, args: string[], timeoutMs = 15_000): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return !r.error && r.status === 0 ? r.stdout : undefined;
}

function kindUsable(): boolean {
  return ok('kind', ['version'], 10_000) && ok('docker', ['info'], 20_000);
}

// kind without a usable kind/Docker here (no registry: nothing to pull): harness/cluster/kind
// builds kind and a node image and runs a private dockerd; kind itself runs as anywhere else.
const LOCAL_KIND = join(SCRIPTS, 'kind', 'local.sh');

/** Points kind and docker at the local setup (its dockerd socket, the kind it built). */
function useLocalKind(): void {
  const env = Object.fromEntries(
    (output('bash', [LOCAL_KIND, 'env']) ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/=(.*)/s)),
  );
  process.env['DOCKER_HOST'] = env['DOCKER_HOST'];
  process.env['PATH'] = `${env['KIND_BIN']}:${process.env['PATH']}`;
  process.env['FIREDRILL_KIND_IMAGE'] ??= env['NODE_IMAGE'];
}

/** Local kind applies on Linux as root when the machine has no kind + Docker of its own. */
function localKindApplies(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0 && !kindUsable();
}

function localKind(command: Command, files: string[]): number {
  useLocalKind();
  if (command === 'up') {
    say('no usable kind/Docker here: building kind and its node image locally (harness/cluster/kind)');
    const code = run('bash', [LOCAL_KIND, 'prepare']);
    if (code !== 0) return code;
    return kind(command, files) || run('bash', [LOCAL_KIND, 'ready']);
  }
  if (!kindUsable()) {
    // the private dockerd is not running: no cluster, but clean up after an unclean stop
    if (command === 'down') return run('bash', [LOCAL_KIND, 'down']);
    say(`kind cluster ${KIND_NAME}: not running (private dockerd stopped)`);
    return command === 'status' ? 3 : 1;
  }
  const code = kind(command, files);
  return command === 'down' ? code || run('bash', [LOCAL_KIND, 'down']) : code;
}

function chooseMode(flag: Mode | undefined, command: Command): Mode {
  if (flag) return flag;
  const env = process.env['FIREDRILL_CLUSTER'];
  if (env === 'kind' || env === 'self-built') return env;
  // down/status act on whatever `up` created last.
  if (command !== 'up' && existsSync(MODE_FILE)) {
    const saved = readFileSync(MODE_FILE, 'utf8').trim();
    if (saved === 'kind' || saved === 'self-built') return saved;
  }
  return kindUsable() ? 'kind' : 'self-built';
}

function selfBuilt(command: Command, files: string[]): number {
  if (process.getuid?.() !== 0) {
    say('the self-built cluster needs root (containerd, kubelet, iptables); run as root');
    return 1;
  }
  const script = join(SCRIPTS, `${command}.sh`);
  const env = { ...process.env, FIREDRILL_KUBECONFIG: KUBECONFIG };
  if (command === 'up') say('self-built Kubernetes cluster (harness/cluster); first run builds from source');
  return run('bash', [script, ...files], env);
}

function kind(command: Command, files: string[]): number {
  const clusters = (output('kind', ['get', 'clusters']) ?? '').split('\n').map((s) => s.trim());
  const exists = clusters.includes(KIND_NAME);
  if (command === 'load') {
    if (!exists) {
      say(`no kind cluster named ${KIND_NAME} (pnpm cluster up)`);
      return 1;
    }
    for (const f of files) {
      const code = run('kind', ['load', 'image-archive', f, '--name', KIND_NAME]);
      if (code !== 0) return code;
    }
    return 0;
  }
  if (command === 'down') {
    if (!exists) {
      say(`no kind cluster named ${KIND_NAME}`);
      return 0;
    }
    return run('kind', ['delete', 'cluster', '--name', KIND_NAME]);
  }
  if (command === 'status') {
    if (!exists) {
      say(`kind cluster ${KIND_NAME}: not created`);
      return 3;
    }
    say(`kind cluster ${KIND_NAME}: exists; kubeconfig ${KUBECONFIG}`);
    return run('kubectl', ['--kubeconfig', KUBECONFIG, 'get', 'nodes,pods', '-A', '-o', 'wide']) === 0
      ? 0
      : 3;
  }
  if (exists) {
    say(`reusing kind cluster ${KIND_NAME}`);
  } else {
    say(`creating kind cluster ${KIND_NAME} from ${KIND_CONFIG} (pulls the node image once)`);
    const image = process.env['FIREDRILL_KIND_IMAGE'];
    const args = ['create', 'cluster', '--name', KIND_NAME, '--config', KIND_CONFIG, '--wait', '180s'];
    if (image) args.push('--image', image);
    const code = run('kind', args);
    if (code !== 0) return code;
  }
  const code = run('kind', ['export', 'kubeconfig', '--name', KIND_NAME, '--kubeconfig', KUBECONFIG]);
  if (code !== 0) return code;
  // The smoke test's pods use the locally built Debian image (debootstrap); load it if we can.
  if (ok('bash', ['-c', 'command -v debootstrap'])) {
    say('building the Debian base image and loading it into kind');
    if (run('bash', [join(SCRIPTS, 'build.sh'), 'debian']) === 0) {
      const tar = output('bash', [
        '-c',
        `source ${join(SCRIPTS, 'lib.sh')} && echo "$IMAGES/debian.tar"`,
      ])?.trim();
      if (tar) run('kind', ['load', 'image-archive', tar, '--name', KIND_NAME]);
    }
  } else {
    say('debootstrap not found: the smoke test image (firedrill.local/debian:bookworm) is not loaded');
  }
  return 0;
}

function main(argv: string[]): number {
  let command: Command | undefined;
  let flag: Mode | undefined;
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h' || arg === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (arg === '--kind' || arg === '--self-built') {
      const want: Mode = arg === '--kind' ? 'kind' : 'self-built';
      if (flag && flag !== want) {
        process.stderr.write('cluster: choose one of --kind and --self-built\n');
        return 2;
      }
      flag = want;
    } else if ((arg === 'up' || arg === 'down' || arg === 'status' || arg === 'load') && !command)
      command = arg;
    else if (command === 'load' && !arg.startsWith('-'))
      files.push(resolve(process.env['INIT_CWD'] ?? process.cwd(), arg));
    else {
      process.stderr.write(
        `cluster: unknown argument '${arg}' (expected up, down, status or load; see --help)\n`,
      );
      return 2;
    }
  }
  if (!command) {
    process.stderr.write('cluster: missing command (expected up, down, status or load; see --help)\n');
    return 2;
  }
  if (command === 'load') {
    if (files.length === 0) {
      process.stderr.write('cluster: load needs at least one image archive (IMAGE.tar)\n');
      return 2;
    }
    const missing = files.find((f) => !existsSync(f));
    if (missing) {
      process.stderr.write(`cluster: no such image archive: ${missing}\n`);
      return 2;
    }
  }
  const mode = chooseMode(flag, command);
  const local = mode === 'kind' && localKindApplies();
  if (mode === 'kind' && !local && !kindUsable()) {
    say('kind mode requested but kind or a working Docker engine is missing');
    return 1;
  }
  const code = local
    ? localKind(command, files)
    : mode === 'kind'
      ? kind(command, files)
      : selfBuilt(command, files);
  if (command === 'up' && code === 0) {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(MODE_FILE, `${mode}\n`);
    say(`kubeconfig: ${KUBECONFIG}`);
    say(`use: export KUBECONFIG=${KUBECONFIG}`);
    // drills reach the kind node with `docker exec` (conntrack), on the private dockerd
    if (local) say(`and: export DOCKER_HOST=${process.env['DOCKER_HOST']}`);
  }
  return code;
}

process.exitCode = main(process.argv.slice(2));
