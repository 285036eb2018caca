/**
 * A small real HTTP server exposing a prom-client registry on 127.0.0.1. Tests and the
 * detection benchmark use it as a scrape target whose metrics they control directly.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** Full URL of the metrics endpoint, e.g. http://127.0.0.1:40123/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

/** `beforeScrape` runs before each exposition, e.g. to fetch the state several metrics share. */
export async function startMetricsServer(
  registry: Registry,
  opts: { beforeScrape?: () => Promise<void> } = {},
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    Promise.resolve(opts.beforeScrape?.())
      .then(() => registry.metrics())
      .then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
