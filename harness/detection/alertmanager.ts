/**
 * The alerting chain past Prometheus: an Alertmanager the user runs, and the page it sends.
 * The harness reads Alertmanager's alerts (the alert reached it) and runs the webhook receiver
 * the user points an Alertmanager route at (the notification left it): a page is the moment a
 * human would have been told, which is what a runbook's MTTD target is really about.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type Clock, systemClock } from '../core/clock.ts';
import { errorMessage, UserError } from '../core/errors.ts';
import { fetchJson } from './prometheus-api.ts';
import type { Notification } from './types.ts';

/** An Alertmanager notification is a few KiB; anything near this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Bounded memory whatever posts to the receiver. */
const MAX_PAGES = 10_000;

/** Names of the alerts Alertmanager holds as active (not silenced or inhibited). */
export async function fetchActiveAlertNames(baseUrl: string): Promise<string[]> {
  const path = '/api/v2/alerts?active=true&silenced=false&inhibited=false';
  const { res, body } = await fetchJson(baseUrl, path, 'Alertmanager');
  if (!res.ok || !Array.isArray(body)) throw new Error(`Alertmanager /api/v2/alerts answered ${res.status}`);
  return (body as { labels?: { alertname?: string } }[]).flatMap((a) =>
    a.labels?.alertname ? [a.labels.alertname] : [],
  );
}

export interface PageReceiver {
  /** Where Alertmanager's webhook_configs should post, e.g. http://127.0.0.1:41234/. */
  readonly url: string;
  /** Every firing alert of every notification received so far, oldest first. */
  pages(): readonly Notification[];
  close(): Promise<void>;
}

/** The `paged` notifications in one Alertmanager webhook body (version 4): its firing alerts. */
function pagesOf(body: unknown, at: Notification['at']): Notification[] {
  const msg = body as {
    receiver?: unknown;
    alerts?: { status?: unknown; labels?: { alertname?: unknown } }[];
  };
  if (!msg || !Array.isArray(msg.alerts)) throw new Error('not an Alertmanager notification (no alerts)');
  const receiver = typeof msg.receiver === 'string' ? msg.receiver : '';
  return msg.alerts.flatMap((a) =>
    a.status === 'firing' && typeof a.labels?.alertname === 'string'
      ? [{ kind: 'paged' as const, alert: a.labels.alertname, at, receiver }]
      : [],
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Start the webhook receiver on 127.0.0.1 (`port` 0: the kernel picks one). It records a page
 * when a notification arrives, stamped with the harness's clock, and answers 200 so
 * Alertmanager does not retry. Loopback only: the drill's traffic stays on this machine.
 */
export async function startPageReceiver(opts: { port?: number; clock?: Clock } = {}): Promise<PageReceiver> {
  const clock = opts.clock ?? systemClock;
  const pages: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const at = clock.now();
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    readBody(req)
      .then((text) => {
        const received = pagesOf(JSON.parse(text), at);
        pages.push(...received.slice(0, MAX_PAGES - pages.length));
        res.writeHead(200).end();
      })
      .catch((err: unknown) => res.writeHead(400).end(`${errorMessage(err)}\n`));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(`--page-receiver-port: port ${opts.port} on 127.0.0.1 is already in use`)
          : err,
      ),
    );
    server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    pages: () => pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
