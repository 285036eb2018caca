import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { listenOnLoopback } from '../core/listen.ts';
import { type PageReceiver, startPageReceiver } from './alertmanager.ts';

const post = (url: string, body: string) => fetch(url, { method: 'POST', body });

describe('page receiver (real HTTP on loopback)', () => {
  let receiver: PageReceiver;
  beforeAll(async () => {
    receiver = await startPageReceiver();
  });
  afterAll(() => receiver.close());

  it('records each firing alert of an Alertmanager notification, not resolved ones', async () => {
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const notification = {
      version: '4',
      receiver: 'pager',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'DatabaseUnreachable', severity: 'critical' } },
        { status: 'resolved', labels: { alertname: 'RedisUnreachable' } },
      ],
    };
    expect((await post(receiver.url, JSON.stringify(notification))).status).toBe(200);
    expect(receiver.pages().map((p) => [p.kind, p.alert, p.receiver])).toEqual([
      ['paged', 'DatabaseUnreachable', 'pager'],
    ]);
  });

  it('answers what is not a notification with 400 or 405 and records nothing', async () => {
    const before = receiver.pages().length;
    expect((await post(receiver.url, 'not json')).status).toBe(400);
    expect((await post(receiver.url, '{"alerts": 3}')).status).toBe(400);
    expect((await fetch(receiver.url)).status).toBe(405);
    expect(receiver.pages()).toHaveLength(before);
  });

  it('a port in use is one line naming the flag', async () => {
    const taken = createServer();
    const port = await listenOnLoopback(taken);
    try {
      await expect(startPageReceiver({ port })).rejects.toThrow(
        new UserError(`--page-receiver-port: port ${port} on 127.0.0.1 is already in use`),
      );
    } finally {
      taken.close();
    }
  });
});
