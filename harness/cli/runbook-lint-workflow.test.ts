/**
 * The pull-request workflow that lints changed runbooks: actionlint accepts it, and its own
 * shell steps, run here as a runner would (a git repository with a base commit and a pull
 * request's changes, GITHUB_OUTPUT, the real `pnpm runbook lint`), pick exactly the changed
 * runbooks and put annotations on their lines.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionlintBinary } from './testing-actionlint.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const workflowText = readFileSync(join(repoRoot, '.github/workflows/runbook-lint.yml'), 'utf8');
type Step = { name?: string; id?: string; run?: string; env?: Record<string, string>; uses?: string };
const steps = (parse(workflowText) as { jobs: { lint: { steps: Step[] } } }).jobs.lint.steps;
const step = (name: string) => steps.find((s) => s.name === name)!;

// the workflow expression the runner substitutes (a plain string here, not a template)
const CHANGED_FILES_EXPRESSION = ['${{', 'steps.changed.outputs.files', '}}'].join(' ');

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'firedrill-lint-workflow-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string, cwd: string, env: Record<string, string> = {}) =>
  spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('runbook-lint workflow', () => {
  it('passes actionlint', () => {
    const wf = join(dir, 'lint', '.github', 'workflows');
    mkdirSync(wf, { recursive: true });
    writeFileSync(join(wf, 'runbook-lint.yml'), workflowText);
    const r = spawnSync(actionlintBinary(), ['-no-color', '-oneline', join(wf, 'runbook-lint.yml')], {
      encoding: 'utf8',
      cwd: join(dir, 'lint'),
    });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  }, 660_000);

  it('lints only the runbooks a pull request changed, with annotations on their lines', () => {
    const repo = join(dir, 'pr');
    mkdirSync(join(repo, 'runbooks'), { recursive: true });
    const git = (args: string) => {
      const r = sh(`git -c user.name=t -c user.email=t@t ${args}`, repo);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    git('init -q');
    writeFileSync(join(repo, 'README.md'), '# readme\n');
    cpSync(join(repoRoot, 'fixtures/runbook/agent-agency-outage.md'), join(repo, 'runbooks/untouched.md'));
    git('add -A');
    git('commit -qm base');
    const base = git('rev-parse HEAD');
    // the pull request: a runbook with planted defects, a README edit
    cpSync(join(repoRoot, 'fixtures/runbook/defects/planted.md'), join(repo, 'runbooks/changed.md'));
    writeFileSync(join(repo, 'README.md'), '# readme, edited\n');
    git('add -A');
    git('commit -qm pr');

    const output = join(dir, 'github-output');
    writeFileSync(output, '');
    const picked = sh(step('Changed runbooks').run!, repo, { BASE: base, GITHUB_OUTPUT: output });
    expect(picked.status, picked.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('files=runbooks/changed.md\n');

    // The lint step as written, with the output substituted the way the runner would, run
    // from the repository under review (the CLI resolves relative paths from its cwd).
    const lintRun = step('Lint (annotations on the lines)')
      .run!.replace(CHANGED_FILES_EXPRESSION, 'runbooks/changed.md')
      .replace('pnpm runbook lint', `node ${join(repoRoot, 'harness/cli/runbook.ts')} lint`);
    const linted = sh(lintRun, repo);
    expect(linted.status).toBe(1); // planted.md has errors: the job fails
    expect(linted.stdout).toMatch(
      /^::error file=runbooks\/changed\.md,line=18,title=runbook lint%3A never-ends::/m,
    );
    expect(linted.stdout).not.toMatch(/untouched/);
  });
});
