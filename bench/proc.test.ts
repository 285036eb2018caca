import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../harness/core/clock.ts';
import { kbToMb, parseProcStatus, watchPeakRss } from './proc.ts';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
Pid:\t4242
VmPeak:\t 1284600 kB
VmSize:\t 1284596 kB
VmHWM:\t  153812 kB
VmRSS:\t  101204 kB
RssAnon:\t   60000 kB
Threads:\t11
`;

describe('parseProcStatus', () => {
  it('reads VmHWM and VmRSS in kB, not VmPeak or RssAnon', () => {
    expect(parseProcStatus(STATUS)).toEqual({ vmHwmKb: 153_812, vmRssKb: 101_204 });
    expect(kbToMb(153_812)).toBeCloseTo(150.21, 2);
  });

  it('leaves fields out that a zombie or kernel thread does not have', () => {
    expect(parseProcStatus('Name:\tkthreadd\nState:\tZ (zombie)\n')).toEqual({});
  });

  it("parses this process's own status with the peak at least the current size", () => {
    const own = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(own.vmRssKb).toBeGreaterThan(1000);
    expect(own.vmHwmKb).toBeGreaterThanOrEqual(own.vmRssKb!);
  });
});

describe('watchPeakRss', () => {
  it('keeps the highest VmHWM seen and stops once the process is gone', async () => {
    const readings = [120_000, 150_000, 140_000];
    let reads = 0;
    const clock = new ManualClock();
    const watch = watchPeakRss(1, {
      clock,
      maxDurationMs: 60_000,
      read: () => {
        const kb = readings[reads++];
        if (kb === undefined) throw new Error('ENOENT');
        return `VmHWM:\t${kb} kB\n`;
      },
    });
    for (let i = 0; i < 20 && reads <= readings.length; i++) await new Promise((r) => setImmediate(r));
    expect(reads).toBe(readings.length + 1);
    expect(watch.peakKb()).toBe(150_000);
    watch.stop();
  });
});
