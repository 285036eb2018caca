/**
 * Throwaway manifest directories for lint tests, so they do not depend on fixtures/k8s.
 * Shaped like the system's: five workloads labelled app=<name>, Services, namespace
 * agent-agency, three orchestrator replicas.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workload = (kind: string, name: string, replicas: number) => `apiVersion: apps/v1
kind: ${kind}
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers: [{ name: main, image: ${name}:dev }]
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: { app: ${name} }
  ports: [{ port: 80 }]
`;

/** Writes a kustomize directory; `redisKind` lets a test make Redis a StatefulSet. */
export function writeManifests(
  options: { redisKind?: 'Deployment' | 'StatefulSet'; orchestratorHpa?: { min: number; max: number } } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-manifests-'));
  mkdirSync(join(dir, 'base'));
  const files: Record<string, string> = {
    'orchestrator.yaml': workload('Deployment', 'agent-agency-orchestrator', 3),
    'council.yaml': workload('Deployment', 'agent-agency-council', 2),
    'postgres.yaml': workload('Deployment', 'agent-agency-postgres', 1),
    'redis.yaml': workload(options.redisKind ?? 'Deployment', 'agent-agency-redis', 1),
    'mock-llm.yaml': workload('Deployment', 'agent-agency-mock-llm', 1),
  };
  const hpa = options.orchestratorHpa;
  if (hpa)
    files['orchestrator.yaml'] += `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: agent-agency-orchestrator
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: agent-agency-orchestrator }
  minReplicas: ${hpa.min}
  maxReplicas: ${hpa.max}
`;
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'base', name), text);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: agent-agency\nresources:\n${Object.keys(
      files,
    )
      .map((f) => `  - base/${f}`)
      .join('\n')}\n`,
  );
  return dir;
}
