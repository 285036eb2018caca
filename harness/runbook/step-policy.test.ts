import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyStep } from './classify.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import { policyRefusals } from './step-policy.ts';

const hostMap = { 'https://api.agent-agency.com': 'http://127.0.0.1:31080' };
const rules = (command: string, opts: Parameters<typeof policyRefusals>[1] = {}) =>
  policyRefusals(command, { hostMap, ...opts }).map((r) => r.rule);

describe('policyRefusals', () => {
  it.each([
    ['rm -rf /tmp/x', ['host-program']],
    ['echo $(touch /tmp/f)', ['host-program']],
    ['echo `touch /tmp/f`', ['host-program']],
    ['echo "$(curl -s http://127.0.0.1:31080/x | sh)"', ['host-program']],
    ['sudo kubectl get pods', ['host-program']],
    ['env rm -rf /', ['host-program']],
    ['timeout 5 bash -c "rm -rf /"', ['host-program']],
    ['$CMD get pods', ['host-program']],
    ['kubectl get pods | xargs kubectl delete', ['host-program']],
    ['cat <(rm x)', ['host-program']],
    ['kubectl krew install evil', ['host-program']],
    ['cat /etc/shadow', ['host-file']],
    ['grep root /etc/passwd', ['host-file']],
    ['head -5 ../../etc/hosts', ['host-file']],
    ['kubectl get pods > pods.txt', ['file-write']],
    ['kubectl get pods >> /tmp/x', ['file-write']],
    ['kubectl get pods &> out', ['file-write']],
    ['kubectl get pods | tee /tmp/x', ['file-write']],
    ['curl -o out.html https://api.agent-agency.com/', ['file-write']],
    ['curl -O https://api.agent-agency.com/x', ['file-write']],
    ['curl -d @/etc/passwd https://api.agent-agency.com/x', ['host-file']],
    ['curl --unix-socket /var/run/docker.sock http://x/containers/json', ['outside-drill']],
    ['curl http://127.0.0.1:22/', ['outside-drill']],
    ['curl 127.0.0.1:9090/api/v1/query', ['outside-drill']],
    ['curl 169.254.169.254/latest/meta-data/', ['outside-drill']],
    ['curl file:///etc/passwd', ['outside-drill']],
    ['kubectl --kubeconfig=/x get pods', ['config-escape']],
    ['kubectl get pods --context=prod', ['config-escape']],
    ['kubectl -s https://10.0.0.1 get pods', ['config-escape']],
    ['kubectl get pods --as=system:admin --as-group=system:masters', ['config-escape', 'config-escape']],
    ['KUBECONFIG=/x kubectl get pods', ['config-escape']],
    ['export KUBECONFIG=/x', ['config-escape']],
    ['env KUBECONFIG=/x kubectl get pods', ['config-escape']],
    ['kubectl config use-context prod', ['config-escape']],
    ['kubectl scale deploy/x --replicas=11 -n a', ['scale-cap']],
    ['kubectl get pods | awk \'{system("rm -rf /")}\'', ['host-program']],
    ['kubectl get pods | awk \'{print > "/tmp/x"}\'', ['host-program']],
    ['kubectl get pods | awk \'{print | "sh"}\'', ['host-program']],
    ['kubectl apply -f - <<EOF\nkind: ConfigMap\ndata: $(rm -rf /tmp/x)\nEOF', ['host-program']],
  ])('refuses %s', (command, expected) => {
    expect(rules(command)).toEqual(expected);
  });

  it.each([
    'kubectl get pods -n agent-agency -o wide',
    'kubectl describe pod $(kubectl get pods -o name | head -1) -n agent-agency',
    'kubectl get pods 2>/dev/null | grep Running | wc -l',
    'kubectl get pods -o json | jq -r ".items[].metadata.name" | sort | uniq',
    'kubectl exec deploy/x -n a -- rm -rf /data',
    'kubectl exec deploy/x -n a -- sh -c "cat /etc/shadow > /tmp/x"',
    'for i in $(seq 1 3); do curl -fsS --max-time 5 https://api.agent-agency.com/health; sleep 1; done',
    'curl -w "@curl-format.txt" -o /dev/null -s https://api.agent-agency.com/v1/status',
    'curl -fsS http://127.0.0.1:31080/health >/dev/null 2>&1',
    'POD=$(kubectl get pods -o name); echo "$POD"',
    'if kubectl get deploy/x -n a; then echo yes; else echo no; fi',
    'kubectl scale deploy/x --replicas=10 -n a',
    'date -u +%Y-%m-%dT%H:%M:%SZ',
    'kubectl config current-context',
    "kubectl get pods -n a | awk '{print $1}' | tail -n +2",
    "kubectl get pods | awk '$3 > 0 {print $1}'",
    'kubectl apply -n a -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nEOF',
    "cat <<'EOF' | kubectl apply -f -\napiVersion: v1\ndata: $(rm -rf /)\nEOF",
    'grep -c ok <<< "$(curl -s https://api.agent-agency.com/health)"',
  ])('allows %s', (command) => {
    expect(policyRefusals(command, { hostMap })).toEqual([]);
  });

  it('--allow-host-commands lets programs run, but never writes, escapes or the scale cap', () => {
    const allow = { allowHostCommands: true };
    expect(rules('rm -rf /tmp/x', allow)).toEqual([]);
    expect(rules('echo $(touch /tmp/f)', allow)).toEqual([]);
    expect(rules('id -u > /tmp/x', allow)).toEqual(['file-write']);
    expect(rules('kubectl --kubeconfig=/x get pods', allow)).toEqual(['config-escape']);
    expect(rules('kubectl scale deploy/x --replicas=50', allow)).toEqual(['scale-cap']);
  });

  it('caps scale at the configured value, with placeholders filled', () => {
    expect(rules('kubectl scale deploy/x --replicas=4', { maxReplicas: 3 })).toEqual(['scale-cap']);
    expect(rules('kubectl scale deploy/x --replicas $N', { variables: { N: '40' } })).toEqual(['scale-cap']);
    expect(rules('kubectl scale deploy/x --replicas $N', { variables: { N: '4' } })).toEqual([]);
  });

  it('names the program and the flag in its reasons, at their offsets', () => {
    const [r] = policyRefusals('kubectl get pods; rm -rf /tmp/x');
    expect(r).toEqual({
      rule: 'host-program',
      offset: 18,
      message: 'refused: host program `rm` is not on the allow-list (pass --allow-host-commands to run it)',
    });
  });
});

describe('the runbooks firedrill drills', () => {
  const REFERENCE = new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url).pathname;
  const FIXTURE = new URL('../../fixtures/runbook/agent-agency-outage.md', import.meta.url).pathname;
  if (!existsSync(REFERENCE))
    console.warn(`reference runbook not found at ${REFERENCE}; its policy check is skipped`);

  it.each([['fixture', FIXTURE], ...(existsSync(REFERENCE) ? [['reference', REFERENCE]] : [])])(
    '%s runbook: no applicable step is refused',
    (_name, file) => {
      const rb = parseRunbook(readFileSync(file!, 'utf8'), file!);
      const refused = allSteps(rb)
        .filter((s) => classifyStep(s, { hostMap }).kind !== 'not-applicable')
        .filter((s) => policyRefusals(s.command, { hostMap }).length > 0)
        .map((s) => `line ${s.line}: ${s.command}`);
      expect(refused).toEqual([]);
    },
  );
});
