/**
 * Scrape targets for a Prometheus on the harness host, the way Kubernetes pod discovery would
 * find them: every pod of a deployment whose pod template carries `prometheus.io/scrape: "true"`
 * (port and path from `prometheus.io/port` and `prometheus.io/path`), ready or not, so a
 * crash-looping instance shows as a failed scrape. The job label is `firedrill.dev/scrape-job`,
 * else the workload's name without the namespace prefix (shop-web -> web), which is what the alert rules select on.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { HostAccess } from './host-access.ts';

export interface ScrapeJob {
  job: string;
  urls: string[];
}

export async function scrapeJobs(opts: {
  namespace: string;
  deployments: readonly V1Deployment[];
  podsOf: (name: string) => readonly V1Pod[];
  access: HostAccess;
}): Promise<ScrapeJob[]> {
  const jobs: ScrapeJob[] = [];
  const live = new Set<string>();
  for (const d of opts.deployments) {
    const name = d.metadata?.name ?? '';
    const template = d.spec?.template.metadata?.annotations ?? {};
    if (template['prometheus.io/scrape'] !== 'true') continue;
    const port = Number(template['prometheus.io/port']);
    if (!port) continue;
    const path = template['prometheus.io/path'] ?? '/metrics';
    const job = template['firedrill.dev/scrape-job'] ?? name.replace(new RegExp(`^${opts.namespace}-`), '');
    const urls: string[] = [];
    for (const pod of opts.podsOf(name)) {
      if (!pod.status?.podIP || pod.metadata?.deletionTimestamp) continue;
      live.add(pod.metadata!.name!);
      urls.push(`${await opts.access.podUrl(pod, port)}${path}`);
    }
    jobs.push({ job, urls });
  }
  // Forwarders of pods that are gone close; pod IPs need nothing.
  opts.access.prune(live);
  return jobs;
}
