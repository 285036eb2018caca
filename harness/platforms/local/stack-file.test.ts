import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.ts';
import { cpuCores, memoryBytes } from '../../core/quantity.ts';
import { sandbox } from '../../testing/local-sandbox.ts';
import { loadStackFile } from './stack-file.ts';

const box = sandbox('firedrill-stackfile-');
afterAll(() => box.cleanup());

const load = (yaml: string) =>
  loadStackFile(box.write(`s-${Math.random().toString(36).slice(2)}.yaml`, yaml));
const web = (extra = '') => `
  - name: web
    kind: process
    command: ['\${node}', 'x.mjs']
    ${extra}`;

describe('stack file', () => {
  it('loads the Agent Agency stack in dependency order with the Kubernetes names and replicas', () => {
    const spec = loadStackFile(join(import.meta.dirname, '../../../fixtures/agent-agency/local-stack.yaml'));
    expect(spec.namespace).toBe('agent-agency');
    const names = spec.workloads.map((w) => w.name);
    expect(names.indexOf('agent-agency-postgres')).toBeLessThan(names.indexOf('agent-agency-orchestrator'));
    expect(names.indexOf('agent-agency-redis')).toBeLessThan(names.indexOf('agent-agency-council'));
    const replicas = Object.fromEntries(spec.workloads.map((w) => [w.name, w.replicas]));
    expect(replicas).toEqual({
      'agent-agency-postgres': 1,
      'agent-agency-redis': 1,
      'agent-agency-mock-llm': 1,
      'agent-agency-orchestrator': 3,
      'agent-agency-council': 2,
    });
  });

  it('names the file and the field of a bad value', () => {
    expect(() => load(`workloads:${web('replicas: two')}`)).toThrow(/s-.*\.yaml: workloads\.0\.replicas: /);
    expect(() => load(`workloads:${web("resources: { limits: { memory: '12 bananas' } }")}`)).toThrow(
      /workloads\.0\.resources\.limits\.memory: memory quantity/,
    );
    expect(() => load(`workloads:${web('colour: blue')}`)).toThrow(UserError);
  });

  it('reads a declared node capacity and names a bad one', () => {
    const spec = load(`node: { allocatable: { cpu: 1500m, memory: 2Gi } }\nworkloads:${web()}`);
    expect(spec.allocatable).toEqual({ cpu: 1.5, memory: 2 * 2 ** 30 });
    expect(load(`workloads:${web()}`).allocatable).toBeUndefined();
    expect(() => load(`node: { allocatable: { cpu: lots, memory: 1Gi } }\nworkloads:${web()}`)).toThrow(
      /s-.*\.yaml: node\.allocatable\.cpu: CPU quantity/,
    );
    expect(() => load(`node: { allocatable: { cpu: '0', memory: 1Gi } }\nworkloads:${web()}`)).toThrow(
      /node\.allocatable\.cpu: more than 0 CPUs/,
    );
    expect(() => load(`node: { allocatable: { cpu: '1' } }\nworkloads:${web()}`)).toThrow(
      /node\.allocatable\.memory: /,
    );
  });

  it('rejects unknown dependencies, endpoints, placeholders, duplicates and cycles', () => {
    expect(() => load(`workloads:${web('dependsOn: [db]')}`)).toThrow(
      /workloads\.0\.dependsOn\.0: unknown workload "db"/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a stack-file placeholder, not a template
    expect(() => load(`workloads:${web("env: { DB: '${endpoint:db}' }")}`)).toThrow(
      /\$\{endpoint:db\} names an unknown workload/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a stack-file placeholder, not a template
    expect(() => load(`workloads:${web("env: { X: '${nope}' }")}`)).toThrow(
      /workloads\.0\.env\.X: unknown placeholder \$\{nope\}/,
    );
    expect(() => load(`workloads:${web()}${web()}`)).toThrow(/workloads\.1\.name: "web" is declared twice/);
    const cycle = `workloads:
  - { name: a, kind: process, command: [x], dependsOn: [b] }
  - { name: b, kind: process, command: [x], dependsOn: [a] }`;
    expect(() => load(cycle)).toThrow(/cycle: a -> b -> a/);
  });

  it('reports a missing file and invalid YAML in one line', () => {
    expect(() => loadStackFile(join(box.dir, 'missing.yaml'))).toThrow(
      /missing\.yaml: cannot read it \(ENOENT\)/,
    );
    expect(() => load('workloads: [')).toThrow(/invalid YAML/);
  });

  it('reads Kubernetes quantities', () => {
    expect(memoryBytes('256Mi')).toBe(268435456);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(cpuCores('500m')).toBe(0.5);
    expect(cpuCores('2')).toBe(2);
    expect(() => memoryBytes('lots')).toThrow(/not a memory quantity/);
  });
});
