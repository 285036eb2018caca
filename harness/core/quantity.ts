/**
 * Kubernetes resource quantities ("256Mi", "500m") as the numbers cgroups want, so the local
 * stack file and the Kubernetes manifests can use the same spellings.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** "256Mi" -> 268435456. Throws on a spelling Kubernetes would reject. */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity.trim());
  if (!m) throw new Error(`"${quantity}" is not a memory quantity (e.g. 256Mi, 1Gi)`);
  const unit = m[2];
  const factor = unit === undefined ? 1 : (BINARY[unit] ?? DECIMAL[unit] ?? 1);
  return Math.round(Number(m[1]) * factor);
}

/** "500m" -> 0.5 CPUs, "2" -> 2. */
export function cpuCores(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(quantity.trim());
  if (!m) throw new Error(`"${quantity}" is not a CPU quantity (e.g. 500m, 1)`);
  const n = Number(m[1]);
  return m[2] ? n / 1000 : n;
}
