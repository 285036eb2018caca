import { describe, expect, it } from 'vitest';
import type { PlatformAction } from '../platforms/types.ts';
import { translateCommand } from './translate.ts';

const hostMap = { 'https://api.agent-agency.com': 'http://127.0.0.1:31080' };
const action = (command: string): PlatformAction | string => {
  const t = translateCommand(command, { hostMap, namespace: 'agent-agency' });
  if (!t.translatable) return `NO: ${t.reason}`;
  return t.target === 'platform' ? t.action : `HTTP ${t.http.method} ${t.http.url}`;
};

const orch = 'agent-agency-orchestrator';

describe('kubectl -> platform verbs', () => {
  it.each<[string, PlatformAction]>([
    [
      'kubectl scale deployment agent-agency-orchestrator --replicas=3 -n agent-agency',
      { verb: 'scale', workload: orch, replicas: 3 },
    ],
    [
      'kubectl scale deployment/agent-agency-orchestrator --replicas 3 -n agent-agency',
      { verb: 'scale', workload: orch, replicas: 3 },
    ],
    [
      'kubectl -n agent-agency scale --replicas=0 deploy/agent-agency-orchestrator',
      { verb: 'scale', workload: orch, replicas: 0 },
    ],
    [
      'kubectl --namespace=agent-agency scale deployments agent-agency-orchestrator --replicas=5',
      { verb: 'scale', workload: orch, replicas: 5 },
    ],
    [
      'kubectl rollout restart deployment/agent-agency-postgres',
      { verb: 'rollout-restart', workload: 'agent-agency-postgres' },
    ],
    [
      'kubectl rollout undo deployment/agent-agency-orchestrator -n agent-agency',
      { verb: 'rollout-undo', workload: orch },
    ],
    [
      "kubectl delete networkpolicy -n agent-agency -l '!app.kubernetes.io/part-of'",
      { verb: 'delete-network-policies', selector: '!app.kubernetes.io/part-of' },
    ],
    [
      'kubectl rollout restart deployment agent-agency-postgres --namespace agent-agency',
      { verb: 'rollout-restart', workload: 'agent-agency-postgres' },
    ],
    [
      'kubectl set env deployment/agent-agency-council RETRY_ENABLED=true -n agent-agency',
      { verb: 'set-env', workload: 'agent-agency-council', env: { RETRY_ENABLED: 'true' } },
    ],
    [
      'kubectl set env deployment agent-agency-council A=1 B- -n agent-agency',
      { verb: 'set-env', workload: 'agent-agency-council', env: { A: '1', B: null } },
    ],
    [
      'kubectl set resources deployment/agent-agency-orchestrator --limits=cpu=4,memory=8Gi --requests=cpu=2,memory=4Gi -n agent-agency',
      {
        verb: 'set-resources',
        workload: orch,
        resources: { limits: { cpu: '4', memory: '8Gi' }, requests: { cpu: '2', memory: '4Gi' } },
      },
    ],
    [
      'kubectl logs deployment/agent-agency-orchestrator -n agent-agency --previous',
      { verb: 'logs', workload: orch, options: { previous: true } },
    ],
    [
      'kubectl logs -p deployment/agent-agency-orchestrator --tail=100',
      { verb: 'logs', workload: orch, options: { previous: true, tailLines: 100 } },
    ],
    [
      'kubectl logs -f deployment/agent-agency-orchestrator --since=10m | head -100',
      { verb: 'logs', workload: orch, options: { sinceSeconds: 600 } },
    ],
    ['kubectl get pods -n agent-agency', { verb: 'status' }],
    [
      'kubectl get pods -n agent-agency -l app=agent-agency-postgres',
      { verb: 'status', workload: 'agent-agency-postgres' },
    ],
    [
      'kubectl get deployment/agent-agency-redis -n agent-agency',
      { verb: 'status', workload: 'agent-agency-redis' },
    ],
    [
      'kubectl rollout status deployment/agent-agency-postgres -n agent-agency --timeout=120s',
      { verb: 'status', workload: 'agent-agency-postgres' },
    ],
    [
      "kubectl describe pod/$(kubectl get pods -n agent-agency -l app=agent-agency-orchestrator -o jsonpath='{.items[0].metadata.name}') -n agent-agency",
      { verb: 'status', workload: orch },
    ],
    ['kubectl get networkpolicies -n agent-agency', { verb: 'list-network-policies' }],
    [
      'kubectl delete networkpolicy firedrill-deny-orchestrator -n agent-agency --ignore-not-found',
      { verb: 'delete-network-policy', name: 'firedrill-deny-orchestrator' },
    ],
    [
      'kubectl delete pod -l app=agent-agency-orchestrator -n agent-agency',
      { verb: 'delete-pod', workload: orch },
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- nc -zv agent-agency-postgres 5432',
      { verb: 'exec-check', workload: orch, check: 'tcp', target: 'agent-agency-postgres:5432' },
    ],
    [
      'kubectl exec deployment/agent-agency-orchestrator -n agent-agency -- nc -z -w 3 agent-agency-postgres 5432',
      { verb: 'exec-check', workload: orch, check: 'tcp', target: 'agent-agency-postgres:5432' },
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- nslookup agent-agency-postgres',
      { verb: 'exec-check', workload: orch, check: 'dns', target: 'agent-agency-postgres' },
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- env | grep DATABASE',
      { verb: 'exec-check', workload: orch, check: 'env', target: 'DATABASE' },
    ],
    [
      `kubectl exec -it $(kubectl get pods -n agent-agency -l app=agent-agency-postgres -o jsonpath='{.items[0].metadata.name}') -n agent-agency -- psql -U agent_agency -d agent_agency -c "SELECT 1;"`,
      {
        verb: 'exec-check',
        workload: 'agent-agency-postgres',
        check: 'sql',
        target: 'agent-agency-postgres',
      },
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- redis-cli -h agent-agency-redis ping',
      { verb: 'exec-check', workload: orch, check: 'redis-ping', target: 'agent-agency-redis' },
    ],
    [
      'kubectl exec deployment/agent-agency-orchestrator -n agent-agency -- timeout -s KILL 5 redis-cli -h agent-agency-redis ping',
      { verb: 'exec-check', workload: orch, check: 'redis-ping', target: 'agent-agency-redis' },
    ],
    [
      'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- ps aux',
      { verb: 'exec-check', workload: orch, check: 'ps' },
    ],
  ])('%s', (command, expected) => {
    expect(action(command)).toEqual(expected);
  });
});

describe('curl -> HTTP checks through the host map', () => {
  it('maps the production origin to the drill endpoint', () => {
    const t = translateCommand('curl -f https://api.agent-agency.com/health/database', { hostMap });
    expect(t).toMatchObject({
      translatable: true,
      target: 'http',
      http: {
        method: 'GET',
        url: 'http://127.0.0.1:31080/health/database',
        originalUrl: 'https://api.agent-agency.com/health/database',
        failOnHttpError: true,
      },
    });
  });

  it('keeps method, headers (placeholders unfilled) and body of a POST', () => {
    const t = translateCommand(
      `curl -X POST https://api.agent-agency.com/v1/tasks -H "Content-Type: application/json" -H "Authorization: Bearer $API_KEY" -d '{"description": "x"}'`,
      { hostMap },
    );
    expect(t).toMatchObject({
      target: 'http',
      http: {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer $API_KEY' },
        body: '{"description": "x"}',
        failOnHttpError: false,
      },
    });
  });

  it('sees -f inside combined short flags', () => {
    const t = translateCommand('curl -fsS --max-time 5 https://api.agent-agency.com/health', { hostMap });
    expect(t.translatable && t.target === 'http' && t.http.failOnHttpError).toBe(true);
  });
});

describe('what does not translate is said, with the reason', () => {
  it.each([
    ['kubectl get nodes -o wide', /no node objects/],
    ['kubectl top pods -n agent-agency', /kubectl top has no counterpart/],
    ['kubectl describe hpa agent-agency-orchestrator -n agent-agency', /no horizontalpodautoscaler objects/],
    [
      'kubectl rollout history deployment/agent-agency-orchestrator -n agent-agency',
      /rollout history has no counterpart/,
    ],
    ['kubectl apply -f deploy/kubernetes/base/load-test.yml', /apply has no counterpart/],
    ['aws elbv2 describe-target-health --target-group-arn $ARN', /`aws` is not kubectl or curl/],
    [
      'curl -s https://api.openai.com/v1/models | head -10',
      /external host api.openai.com is not in the host map/,
    ],
    [
      'curl -w "@curl-format.txt" -d @body.json https://api.agent-agency.com/v1/status',
      /reads its body from body.json/,
    ],
    [
      'kubectl scale deployment/x --replicas=2 -n production',
      /namespace production is not the drill's namespace agent-agency/,
    ],
    ['kubectl get pods -n agent-agency && kubectl get svc -n agent-agency', /several commands in one step/],
    ['kubectl logs mypod-abc123 -n agent-agency', /no deployment named/],
    ['kubectl exec deployment/x -n agent-agency -- rm -rf /tmp/cache', /exec of `rm` has no counterpart/],
  ])('%s', (command, reason) => {
    const t = translateCommand(command, { hostMap, namespace: 'agent-agency' });
    expect(t.translatable).toBe(false);
    if (!t.translatable) expect(t.reason).toMatch(reason);
  });
});
