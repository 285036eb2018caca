import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { describeMonitoring, OFF_LOOPBACK } from './existing-monitoring.ts';
import { onLoopback, parseMonitoringUrl, parsePort } from './monitoring-url.ts';
import { apiUrl } from './prometheus-api.ts';

describe('monitoring URLs', () => {
  it('keeps scheme, host, port and a route prefix; drops a trailing slash', () => {
    expect(parseMonitoringUrl('--prometheus-url', 'http://127.0.0.1:9090/')).toBe('http://127.0.0.1:9090');
    expect(parseMonitoringUrl('--prometheus-url', 'https://mon.example/prometheus/')).toBe(
      'https://mon.example/prometheus',
    );
  });

  it.each([
    ['prometheus:9090', /must be http:\/\/ or https:\/\//],
    ['not a url', /is not a URL/],
    ['ftp://127.0.0.1:9090', /must be http/],
    ['http://admin:secret@127.0.0.1:9090', /credentials in the URL/],
    ['http://127.0.0.1:9090/?x=1', /query or fragment/],
  ])('refuses %s in one line naming the flag', (value, why) => {
    const attempt = () => parseMonitoringUrl('--alertmanager-url', value);
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(why);
    expect(attempt).toThrow(/^--alertmanager-url: [^\n]+$/);
  });

  it('API paths stay under the route prefix', () => {
    expect(apiUrl('https://mon.example/prometheus', '/api/v1/alerts')).toBe(
      'https://mon.example/prometheus/api/v1/alerts',
    );
    expect(apiUrl('http://127.0.0.1:9090', '/-/ready')).toBe('http://127.0.0.1:9090/-/ready');
  });

  it('ports: 0 to 65535', () => {
    expect(parsePort('--page-receiver-port', '0')).toBe(0);
    expect(parsePort('--page-receiver-port', '9095')).toBe(9095);
    for (const bad of ['-1', '65536', 'x', '1.5', ''])
      expect(() => parsePort('--page-receiver-port', bad)).toThrow(UserError);
  });

  it('loopback: 127.0.0.0/8, ::1 and localhost; never a name resolved, a LAN or bridge address', () => {
    for (const url of [
      'http://127.0.0.1:9093',
      'http://127.8.0.2:9093/am',
      'http://[::1]:9093',
      'http://localhost:9093',
    ])
      expect(onLoopback(url)).toBe(true);
    for (const url of [
      'http://172.18.0.2:9093',
      'http://10.0.0.5:9093',
      'http://alertmanager.monitoring:9093',
      'http://127.0.0.1.nip.io:9093',
    ])
      expect(onLoopback(url)).toBe(false);
  });

  it('the run record says when an Alertmanager off loopback cannot page the receiver', () => {
    const receiver = { url: 'http://127.0.0.1:9095/', pages: () => [], close: async () => {} };
    const at = (alertmanagerUrl: string) =>
      describeMonitoring({ prometheusUrl: 'http://10.0.0.5:9090', alertmanagerUrl, receiver });
    expect(at('http://127.0.0.1:9093')).toBe(
      "detection by the existing Prometheus at http://10.0.0.5:9090 with its own rules (not firedrill's); pages through the Alertmanager at http://127.0.0.1:9093 to the receiver at http://127.0.0.1:9095/",
    );
    expect(at('http://10.0.0.5:9093')).toContain(`(${OFF_LOOPBACK})`);
  });
});
