/** The dry run's outline: which steps would run, and what the step policy would refuse. */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.ts';
import { loadRunbook, planOutline } from './runbook-plan.ts';

const HOSTILE = new URL('../../fixtures/runbook/defects/hostile.md', import.meta.url).pathname;
const FIXTURE = new URL('../../fixtures/runbook/agent-agency-outage.md', import.meta.url).pathname;
const policy = { hostMap: { 'https://api.agent-agency.com': 'https://api.agent-agency.com' } };

describe('planOutline with the step policy (--dry-run)', () => {
  it('prints the refusal under each step a drill would refuse', async () => {
    const scenario = await loadScenario('db-outage');
    const { lines } = planOutline(loadRunbook(HOSTILE).runbook, scenario, policy);
    const lineAfter = (marker: string) => lines[lines.findIndex((l) => l.includes(marker)) + 1]?.trim();
    expect(lineAfter('rm -rf /var/lib/postgresql')).toBe(
      'refused: host program `rm` is not on the allow-list (pass --allow-host-commands to run it)',
    );
    expect(lineAfter('$(touch')).toMatch(/^refused: host program `touch`/);
    expect(lineAfter('--kubeconfig=')).toMatch(/^refused: `--kubeconfig` would point kubectl away/);
    expect(lineAfter('--server=')).toMatch(/^refused: `--server`/);
    expect(lineAfter('> /tmp/pods.txt')).toMatch(/^refused: `> \/tmp\/pods.txt` writes a file/);
    expect(lineAfter('--replicas=500')).toMatch(/^refused: `--replicas=500` is above the drill's cap of 10/);
    expect(lineAfter('http://169.254.169.254')).toMatch(/^not applicable: external host 169\.254\.169\.254/);
    expect(lineAfter('http://127.0.0.1:22/')).toMatch(
      /^refused: http:\/\/127\.0\.0\.1:22 is not one of the drill's endpoints/,
    );
    // the exec'd rm runs in the container, not on the host: not a host-program refusal
    expect(lineAfter('-- rm -rf')).toMatch(/^remediate/);
  });

  it('--allow-host-commands lifts only the allow-list', async () => {
    const scenario = await loadScenario('db-outage');
    const { lines } = planOutline(loadRunbook(HOSTILE).runbook, scenario, {
      ...policy,
      allowHostCommands: true,
    });
    const lineAfter = (marker: string) => lines[lines.findIndex((l) => l.includes(marker)) + 1]?.trim();
    expect(lineAfter('rm -rf /var/lib/postgresql')).toMatch(/^remediate/);
    expect(lineAfter('--kubeconfig=')).toMatch(/^refused:/);
  });

  it('refuses nothing in the fixture runbook', async () => {
    const scenario = await loadScenario('db-outage');
    const { lines } = planOutline(loadRunbook(FIXTURE).runbook, scenario, policy);
    expect(lines.filter((l) => l.includes('refused'))).toEqual([]);
  });
});
