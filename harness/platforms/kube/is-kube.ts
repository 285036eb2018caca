import type { RunningStack } from '../types.ts';
import type { KubeStack } from './stack.ts';

/** Narrow a running stack to the kube one, without loading the Kubernetes client for local runs. */
export const isKubeStack = (stack: RunningStack): stack is KubeStack => stack.platform === 'kube';
