import { describe, expect, it } from 'vitest';
import { loadProfileTiming } from './alert-source.ts';
import { alertWindows, controlWindow, project } from './projection.ts';

const timings = { ran: loadProfileTiming('fast'), production: loadProfileTiming('production') };

describe('projection of fast-profile times to the production alert windows', () => {
  it("takes each alert's for, scrape and evaluation intervals from the alert source", () => {
    // fixtures/monitoring/alerts.yaml: fast 3s on 1s/1s, production 1m on 15s/15s
    expect(alertWindows('DatabaseUnreachable', timings)).toEqual({
      alert: 'DatabaseUnreachable',
      profile: 'fast',
      forMs: 3_000,
      floorMs: 5_000,
      productionForMs: 60_000,
      productionFloorMs: 90_000,
    });
    expect(alertWindows('NoSuchAlert', timings)).toBeUndefined();
  });

  it('moves a measured time by the difference of the floors, never below what was measured', () => {
    const w = alertWindows('DatabaseUnreachable', timings)!;
    expect(project(4_000, w)).toBe(89_000);
    expect(project(null, w)).toBeNull();
    const prod = alertWindows('DatabaseUnreachable', {
      ran: timings.production,
      production: timings.production,
    })!;
    expect(project(70_000, prod)).toBe(70_000);
    const slowerFast = { ...w, floorMs: 200_000 };
    expect(project(250_000, slowerFast)).toBe(250_000);
  });
});

describe('the control window', () => {
  it("covers the profile's longest alert floor, never less than 30 s", () => {
    // production: APIErrorRateHigh and APIResponseTimeDegraded wait 5m, on 15 s scrapes and evaluations
    expect(controlWindow(timings.production)).toEqual({ ms: 330_000, longest: 'APIErrorRateHigh (330 s)' });
    // fast: the longest floor is 7 s; the window stays at its 30 s minimum
    expect(controlWindow(timings.ran).ms).toBe(30_000);
  });
});
