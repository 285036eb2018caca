/**
 * Test support: the Debian Alertmanager as a real process, standing in for the one a user
 * already runs. It routes every alert to one webhook (the harness's page receiver) after a short
 * group wait, so a test sees the page follow the alert through the real chain.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { systemClock } from '../core/clock.ts';
import { freePort } from '../core/ports.ts';

export const ALERTMANAGER_BINARY =
  process.env.FIREDRILL_ALERTMANAGER_BIN || '/usr/bin/prometheus-alertmanager';
export const alertmanagerInstalled = (): boolean => existsSync(ALERTMANAGER_BINARY);

export interface RunningAlertmanager {
  readonly url: string;
  stop(): Promise<void>;
}

/** Start Alertmanager in `dir`, paging `webhookUrl` for every alert; resolves once /-/ready answers. */
export async function startAlertmanager(opts: {
  dir: string;
  webhookUrl: string;
  groupWait?: string;
}): Promise<RunningAlertmanager> {
  mkdirSync(opts.dir, { recursive: true });
  const config = join(opts.dir, 'alertmanager.yml');
  writeFileSync(
    config,
    stringify({
      route: {
        receiver: 'drill-pager',
        group_by: ['alertname'],
        group_wait: opts.groupWait ?? '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [{ name: 'drill-pager', webhook_configs: [{ url: opts.webhookUrl, send_resolved: false }] }],
    }),
  );
  const port = await freePort();
  const log = join(opts.dir, 'alertmanager.log');
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(
    ALERTMANAGER_BINARY,
    [
      `--config.file=${config}`,
      `--storage.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no gossip port: a single instance
    ],
    { stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  let exited = false;
  const ended = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      r();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited && child.pid) process.kill(-child.pid, 'SIGTERM');
    await ended;
  };
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`alertmanager exited; ${log}:\n${readFileSync(log, 'utf8').slice(-800)}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    await systemClock.sleep(100);
  }
  await stop();
  throw new Error(`alertmanager at ${url} not ready after 30 s; see ${log}`);
}
