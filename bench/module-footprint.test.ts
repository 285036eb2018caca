import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BARE, formatFootprint, harnessParts, measurePart, runFootprintBench } from './module-footprint.ts';

const repoRoot = resolve(import.meta.dirname, '..');

describe('pnpm bench footprint', () => {
  it("measures the child's own peak: 64 MB written in a part shows as at least 60 MB over a bare process", async () => {
    const heavy = {
      name: 'heavy',
      what: 'a 64 MB buffer, every page written',
      body: 'globalThis.keep = Buffer.alloc(64 * 1024 * 1024, 1);',
    };
    const [bare, big] = await runFootprintBench({ repoRoot, parts: [BARE, heavy], repeats: 1 });
    expect(bare!.costMb).toBe(0);
    expect(big!.costMb).toBeGreaterThanOrEqual(60);
    expect(big!.peakMb).toBeLessThan(bare!.peakMb + 120);
  });

  it('says which part failed to load, and why', async () => {
    await expect(
      measurePart(
        { name: 'missing', what: '', body: "await import(root + 'harness/no-such-file.ts');" },
        repoRoot,
      ),
    ).rejects.toThrow(/loading missing failed \(exit 1\).*no-such-file/);
  });

  it("loads every part a drill loads (a moved module fails here, not in a user's bench) and names client-node's cost", async () => {
    const rows = await runFootprintBench({ repoRoot, parts: harnessParts(), repeats: 1 });
    expect(rows.map((r) => r.name)).toEqual(['bare node', 'local drill', 'client-node', 'kube drill']);
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    // client-node is a large generated client: loading it is never free
    expect(byName['client-node']!.costMb).toBeGreaterThan(10);
    expect(formatFootprint(rows).at(-1)).toMatch(
      /^a kube drill keeps -?\d+\.\d MB more than a local one once loaded \(peak -?\d+\.\d MB more\): .* client-node alone keeps \d+\.\d MB over a bare process \(peak \d+\.\d\)/,
    );
  }, 60_000);
});
