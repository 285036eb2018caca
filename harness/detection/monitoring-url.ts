/**
 * The URL of a Prometheus or Alertmanager the user already runs (`--prometheus-url`,
 * `--alertmanager-url`), checked before anything starts. The harness only reads from these
 * servers (GET of alert state and readiness), so a remote one is allowed without the kube
 * guard's `--allow-server`: nothing there can be changed by a drill.
 */
import { UserError } from '../core/errors.ts';

/**
 * The base URL, without a trailing slash; a path prefix (a server behind `/prometheus`) is kept.
 * Throws a UserError naming the flag for anything but a plain http(s) URL: credentials in it
 * would be written to the run record, and a query or fragment has no meaning for an API base.
 */
export function parseMonitoringUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`${flag}: "${value}" is not a URL (expected e.g. http://127.0.0.1:9090)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(`${flag}: "${value}" must be http:// or https://`);
  if (url.username || url.password)
    throw new UserError(
      `${flag}: credentials in the URL are not supported (they would land in the run record)`,
    );
  if (url.search || url.hash) throw new UserError(`${flag}: "${value}" must not have a query or fragment`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Whether the server is reached on loopback. Only such an Alertmanager shares this machine's
 * loopback with the harness's page receiver; one elsewhere (another host, a container, a pod)
 * can be read but cannot page it. Judged from the URL, like the kube guard: no DNS lookup.
 */
export function onLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A TCP port for the harness's page receiver; 0 lets the kernel pick one. */
export function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new UserError(`${flag}: expected a port number 0-65535, got "${value}"`);
  return port;
}
