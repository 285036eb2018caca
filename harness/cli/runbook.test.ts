import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeManifests } from '../runbook/testing/manifests.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['harness/cli/runbook.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const manifests = writeManifests({ redisKind: 'StatefulSet' });
afterAll(() => rmSync(manifests, { recursive: true, force: true }));

describe('pnpm runbook lint', () => {
  it('exits 0 with no findings for the fixture runbook', () => {
    const r = cli('lint', 'fixtures/runbook/agent-agency-outage.md');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/0 error\(s\), 0 warning\(s\), 0 note\(s\)/);
  });

  it('prints file:line findings and exits 1 when any is an error', () => {
    const r = cli('lint', 'fixtures/runbook/defects/planted.md', '--manifests', manifests);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^fixtures\/runbook\/defects\/planted\.md:18: error \[never-ends\] `kubectl logs -f`/m,
    );
    expect(r.stdout).toMatch(/^fixtures\/runbook\/defects\/planted\.md:\d+: error \[wrong-kind\]/m);
  });

  it('prints JSON on request', () => {
    const r = cli('lint', 'fixtures/runbook/defects/planted.md', '--json');
    const parsed = JSON.parse(r.stdout) as { findings: { rule: string; line: number }[] };
    expect(parsed.findings.find((f) => f.rule === 'never-ends')?.line).toBe(18);
  });

  it('lints several files and globs; exit 1 when any file has an error', () => {
    const r = cli('lint', 'fixtures/runbook/agent-agency-outage.md', 'fixtures/runbook/defects/*.md');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fixtures\/runbook\/agent-agency-outage\.md: 0 error\(s\)/m);
    expect(r.stderr).toMatch(/^fixtures\/runbook\/defects\/planted\.md: [1-9]\d* error\(s\)/m);
    expect(cli('lint', 'fixtures/runbook/nothing-*.md')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'runbook: no runbook matches fixtures/runbook/nothing-*.md\n',
    });
  });

  it('--format github annotates the lines of each finding', () => {
    const r = cli('lint', 'fixtures/runbook/defects/planted.md', '--format', 'github');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    // every finding is one workflow command; the text format's findings, line for line
    const text = cli('lint', 'fixtures/runbook/defects/planted.md').stdout.trim().split('\n');
    expect(lines).toHaveLength(text.length);
    for (const l of lines)
      expect(l).toMatch(
        /^::(error|warning|notice) file=fixtures\/runbook\/defects\/planted\.md,line=\d+,title=runbook lint%3A [a-z-]+::\S/,
      );
    expect(lines).toContainEqual(
      expect.stringMatching(/^::error file=[^,]+,line=18,title=runbook lint%3A never-ends::/),
    );
  });

  it('--format sarif is SARIF 2.1.0 with a result per finding at its line', () => {
    const r = cli('lint', 'fixtures/runbook/defects/planted.md', '--format', 'sarif');
    const text = cli('lint', 'fixtures/runbook/defects/planted.md').stdout.trim().split('\n');
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.results).toHaveLength(text.length);
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex]?.id).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toBe(
        'fixtures/runbook/defects/planted.md',
      );
    }
    expect(
      run.results.find((x) => x.ruleId === 'never-ends')?.locations[0]?.physicalLocation.region.startLine,
    ).toBe(18);
    expect(cli('lint', 'fixtures/runbook/defects/planted.md', '--format', 'xml')).toMatchObject({
      code: 2,
      stderr: 'runbook: --format xml: expected one of text, json, github, sarif\n',
    });
  });

  it.each([
    [['lint', 'no/such/runbook.md'], 'runbook: runbook no/such/runbook.md: no such file\n'],
    [
      ['lint', 'fixtures/runbook/agent-agency-outage.md', '--manifests', 'no/such/dir'],
      'runbook: manifests directory no/such/dir does not exist\n',
    ],
    [['lint', 'package.json'], 'runbook: package.json: no Markdown headings; not a runbook\n'],
  ])('bad input %j: one line, exit 2', (args, line) => {
    const r = cli(...args);
    expect(r).toEqual({ code: 2, stdout: '', stderr: line });
  });
});

describe('pnpm runbook show', () => {
  it('shows a section, the class of each step and its local translation', () => {
    const r = cli(
      'show',
      'fixtures/runbook/agent-agency-outage.md',
      '--section',
      'database',
      '--host-map',
      'https://api.agent-agency.com=http://127.0.0.1:31080',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[resolution] Database unreachable');
    expect(r.stdout).toContain(
      'remediation (kubectl rollout restart changes the cluster); local: {"verb":"rollout-restart","workload":"agent-agency-postgres"}',
    );
  });
});
