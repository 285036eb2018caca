import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { AlertStates } from './alert-state.ts';

describe('AlertStates (Prometheus for-semantics)', () => {
  it('goes pending when the condition turns true, firing once it held for `for`, with activeAt', () => {
    const clock = new ManualClock();
    const states = new AlertStates({ A: 3_000 });
    states.update('A', false, clock.now());
    expect(states.observations()).toEqual([]);
    clock.advance(1_000);
    const becameTrue = clock.now();
    states.update('A', true, becameTrue);
    expect(states.observations()).toEqual([
      { alert: 'A', state: 'pending', activeAtWallMs: becameTrue.wallMs },
    ]);
    clock.advance(2_999);
    states.update('A', true, clock.now());
    expect(states.observations()[0]?.state).toBe('pending');
    clock.advance(1);
    states.update('A', true, clock.now());
    expect(states.observations()).toEqual([
      { alert: 'A', state: 'firing', activeAtWallMs: becameTrue.wallMs },
    ]);
  });

  it('resolves at the first false evaluation and starts over on the next true one', () => {
    const clock = new ManualClock();
    const states = new AlertStates({ A: 2_000 });
    states.update('A', true, clock.now());
    clock.advance(1_500);
    states.update('A', false, clock.now()); // flap before `for` elapsed
    expect(states.observations()).toEqual([]);
    clock.advance(500);
    states.update('A', true, clock.now());
    clock.advance(1_500);
    states.update('A', true, clock.now());
    expect(states.observations()[0]?.state).toBe('pending');
  });

  it('fires at the first true evaluation when `for` is 0, and tracks alerts independently', () => {
    const clock = new ManualClock();
    const states = new AlertStates({ A: 0, B: 5_000 });
    states.update('A', true, clock.now());
    states.update('B', true, clock.now());
    expect(states.observations().map((o) => [o.alert, o.state])).toEqual([
      ['A', 'firing'],
      ['B', 'pending'],
    ]);
  });

  it('refuses an alert it has no `for` for', () => {
    expect(() => new AlertStates({}).update('Nope', true, new ManualClock().now())).toThrow(/no 'for'/);
  });
});
