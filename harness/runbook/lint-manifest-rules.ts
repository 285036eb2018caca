/**
 * Lint rules that compare the runbook's resource references with the system's manifests:
 * `deployment/shop-redis` when Redis is a StatefulSet, `describe hpa X` when there
 * is no HPA, `-l app=X` matching no pods, a namespace the system does not use.
 */
import { flag, type KubectlCall, selectorLabels } from './kubectl.ts';
import type { Emit } from './lint-step-rules.ts';
import type { ManifestIndex, ManifestResource } from './manifests.ts';

/** Kinds a runbook names that the manifests must define (pods, events, ad-hoc policies are runtime objects). */
// biome-ignore format: a dense table reads better than one entry per line
const DECLARED_KINDS = new Set([
  'deployment', 'statefulset', 'daemonset', 'service', 'horizontalpodautoscaler', 'poddisruptionbudget',
  'ingress', 'cronjob', 'persistentvolumeclaim', 'serviceaccount',
]);
const WORKLOADS = new Set(['deployment', 'statefulset', 'daemonset']);
const CREATING = /^(create|apply|run|expose|autoscale)\b/;

const display = (r: ManifestResource) => `${r.apiKind} (${r.file})`;

export function manifestRules(
  call: KubectlCall,
  comment: string | undefined,
  index: ManifestIndex,
  emit: Emit,
): void {
  if (CREATING.test(call.verb)) return;
  for (const ref of call.resources) {
    if (!ref.name || /[$`]/.test(ref.name) || !DECLARED_KINDS.has(ref.kind)) continue;
    const same = index.resources.filter((r) => r.name === ref.name);
    if (same.some((r) => r.kind === ref.kind)) continue;
    // Wrong kind: the workload exists, as another workload kind (Deployment vs StatefulSet).
    // A Service or HPA that is simply absent is a missing resource, even if a Deployment shares its name.
    const otherWorkloads = WORKLOADS.has(ref.kind) ? same.filter((r) => WORKLOADS.has(r.kind)) : [];
    const alsoNamed = same.filter((r) => DECLARED_KINDS.has(r.kind));
    if (otherWorkloads.length)
      emit(
        'wrong-kind',
        'error',
        ref.offset,
        `\`${ref.written}/${ref.name}\`: the manifests define ${ref.name} as a ${otherWorkloads.map(display).join(' and a ')}, not a ${ref.kind}; kubectl will answer NotFound`,
      );
    else
      emit(
        'missing-resource',
        'error',
        ref.offset,
        `no ${ref.kind} named ${ref.name} in the manifests (${index.dir})${alsoNamed.length ? `, only a ${alsoNamed.map(display).join(' and a ')}` : ''}; kubectl will answer NotFound`,
      );
  }

  const selector = flag(call, 'selector');
  if (typeof selector === 'string' && !/[$`]/.test(selector)) {
    const want = selectorLabels(selector);
    const keys = Object.keys(want);
    if (keys.length && !index.resources.some((r) => keys.every((k) => r.podLabels[k] === want[k])))
      emit(
        'unknown-selector',
        'warning',
        call.flags.find((f) => f.name === 'selector')!.offset,
        `no workload in the manifests has pods labelled ${selector}; the command selects nothing`,
      );
  }

  const ns = flag(call, 'namespace');
  if (typeof ns === 'string' && index.namespaces.size && !index.namespaces.has(ns))
    emit(
      'wrong-namespace',
      'warning',
      call.flags.find((f) => f.name === 'namespace')!.offset,
      `namespace ${ns} is not one the manifests use (${[...index.namespaces].join(', ')})`,
    );

  // An autoscaler moves a manual scale back inside its bounds (0 switches it off instead).
  const wanted = flag(call, 'replicas');
  if (call.verb === 'scale' && typeof wanted === 'string' && /^\d+$/.test(wanted) && Number(wanted) > 0) {
    const n = Number(wanted);
    for (const ref of call.resources.filter((r) => r.name && WORKLOADS.has(r.kind))) {
      const hpa = index.resources.find(
        (r) => r.autoscales?.name === ref.name && r.autoscales?.kind === ref.kind,
      );
      if (hpa?.autoscales && (n < hpa.autoscales.min || n > hpa.autoscales.max))
        emit(
          'hpa-overrides-scale',
          'warning',
          call.flags.find((f) => f.name === 'replicas')!.offset,
          `HorizontalPodAutoscaler ${hpa.name} keeps ${ref.name} between ${hpa.autoscales.min} and ${hpa.autoscales.max} replicas; it will undo --replicas=${n}`,
        );
    }
  }

  // "Scale back up" to a number the manifests do not declare changes capacity by accident.
  const replicas = flag(call, 'replicas');
  if (
    call.verb === 'scale' &&
    typeof replicas === 'string' &&
    /\b(back|restore|usual|normal|original)\b/i.test(comment ?? '')
  ) {
    const target = call.resources.find((r) => r.name && WORKLOADS.has(r.kind));
    const declared = index.resources.find((r) => r.name === target?.name && WORKLOADS.has(r.kind))?.replicas;
    if (declared !== undefined && declared !== Number(replicas))
      emit(
        'scale-mismatch',
        'warning',
        call.flags.find((f) => f.name === 'replicas')!.offset,
        `scales ${target!.name} "back" to ${replicas} replicas, but the manifests declare ${declared}`,
      );
  }
}
