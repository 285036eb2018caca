import { describe, expect, it } from 'vitest';
import { UserError } from './errors.ts';
import { downThen, Session } from './session.ts';

describe('Session', () => {
  it('undoes last acquired first, and every undo runs even when one fails', async () => {
    const done: string[] = [];
    const s = new Session();
    s.adopt('ledger', (v) => done.push(v));
    s.defer(() => {
      throw new Error('run dir busy');
    });
    s.defer(async () => {
      done.push('stack');
      throw new Error('stack stuck');
    });
    await expect(s.close()).rejects.toThrow('stack stuck; run dir busy');
    expect(done).toEqual(['stack', 'ledger']);
  });

  it('rethrows a single failure as it is, so a UserError stays one', async () => {
    const s = new Session();
    s.defer(() => {
      throw new UserError('namespace not labelled');
    });
    await expect(s.close()).rejects.toBeInstanceOf(UserError);
  });

  it('an acquisition that fails undoes its part on the way out; one that succeeds hands it on', async () => {
    const done: string[] = [];
    const acquire = async (fail: boolean) => {
      await using acquiring = new Session();
      acquiring.defer(() => done.push('lock released'));
      if (fail) throw new Error('apply failed');
      return acquiring.move();
    };
    await expect(acquire(true)).rejects.toThrow('apply failed');
    expect(done).toEqual(['lock released']);
    const owned = await acquire(false);
    expect(done).toEqual(['lock released']);
    await owned.close();
    expect(done).toEqual(['lock released', 'lock released']);
  });

  it('an abandoned acquisition reports its undo failures aside and keeps its own error', async () => {
    const seen: string[] = [];
    const acquire = async () => {
      await using acquiring = new Session((err) => seen.push(err.message));
      acquiring.defer(() => {
        throw new Error('release failed');
      });
      throw new Error('up failed');
    };
    await expect(acquire()).rejects.toThrow('up failed');
    expect(seen).toEqual(['release failed']);
  });

  it('downThen closes the session after down(), even when down() fails', async () => {
    const done: string[] = [];
    const s = new Session();
    s.defer(() => done.push('lock released'));
    const stack = downThen(
      {
        down: async () => {
          done.push('down');
          throw new Error('restore incomplete');
        },
      },
      s,
    );
    await expect(stack.down()).rejects.toThrow('restore incomplete');
    expect(done).toEqual(['down', 'lock released']);
  });
});
