import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderPrometheusConfig, renderTargets, writeTargetsFile } from './prometheus-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-promcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prometheus config', () => {
  it('one target group per URL, carrying job, scheme and metrics path', () => {
    expect(
      renderTargets([
        { job: 'orchestrator', urls: ['http://127.0.0.1:4001/metrics', 'http://127.0.0.1:4002/metrics'] },
        { job: 'platform', urls: ['http://127.0.0.1:5000/kube/metrics'] },
      ]),
    ).toEqual([
      {
        targets: ['127.0.0.1:4001'],
        labels: { job: 'orchestrator', __scheme__: 'http', __metrics_path__: '/metrics' },
      },
      {
        targets: ['127.0.0.1:4002'],
        labels: { job: 'orchestrator', __scheme__: 'http', __metrics_path__: '/metrics' },
      },
      {
        targets: ['127.0.0.1:5000'],
        labels: { job: 'platform', __scheme__: 'http', __metrics_path__: '/kube/metrics' },
      },
    ]);
  });

  it('names the bad job or URL in one line', () => {
    expect(() => renderTargets([{ job: 'bad job', urls: [] }])).toThrow(
      'scrape job "bad job": not a valid job name',
    );
    expect(() => renderTargets([{ job: 'council', urls: ['nope'] }])).toThrow(
      'scrape job council: "nope" is not a URL',
    );
    expect(() => renderTargets([{ job: 'council', urls: ['ftp://x/metrics'] }])).toThrow(
      /must be http or https/,
    );
  });

  it('keeps the scrape timeout within the interval and reads targets from the file', () => {
    const cfg = parse(
      renderPrometheusConfig({
        scrapeIntervalMs: 1000,
        evaluationIntervalMs: 1000,
        rulesFile: '/r.yml',
        targetsFile: '/t.json',
      }),
    );
    expect(cfg.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(cfg.rule_files).toEqual(['/r.yml']);
    expect(cfg.scrape_configs[0].file_sd_configs[0].files).toEqual(['/t.json']);
  });

  it('rewrites the targets file only when the targets changed', () => {
    const file = join(dir, 'targets.json');
    const targets = [{ job: 'council', urls: ['http://127.0.0.1:4100/metrics'] }];
    const first = writeTargetsFile(file, targets);
    const inode = statSync(file).ino;
    expect(writeTargetsFile(file, targets, first)).toBe(first);
    expect(statSync(file).ino).toBe(inode); // untouched: the rename would give a new inode
    writeTargetsFile(file, [{ job: 'council', urls: [] }], first);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });
});
