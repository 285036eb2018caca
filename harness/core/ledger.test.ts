import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, replayLedgers } from './ledger.ts';
import { processStartTime } from './proc.ts';

describe('ledger', () => {
  it('creates nothing on disk until the first change is recorded', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fd-ledger-')), 'ledger');
    const ledger = Ledger.open(dir, 'r0');
    expect(ledger.pending()).toEqual([]);
    ledger.close();
    expect(existsSync(dir)).toBe(false);
    ledger.record('a dir', { type: 'none', reason: 'test' });
    expect(readdirSync(dir)).toEqual(['r0.jsonl']);
  });

  it("a scope shares the file but answers only for its own entries (one drill's on a shared stack)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ledger-'));
    const site = Ledger.open(dir, 'r5');
    site.record('the stack', { type: 'none', reason: 'test' });
    const drill = site.scope();
    const halt = drill.record('a halt', { type: 'none', reason: 'test' });
    const net = drill.record('a partition', { type: 'none', reason: 'test' });
    expect(site.pending().map((e) => e.what)).toEqual(['the stack', 'a halt', 'a partition']);
    expect(drill.pendingOwn().map((e) => e.what)).toEqual(['a halt', 'a partition']);
    site.settle(halt.id); // settled through any handle: it is one file
    expect(drill.pendingOwn().map((e) => e.what)).toEqual(['a partition']);
    drill.settle(net.id);
    expect(drill.pendingOwn()).toEqual([]);
    expect(site.pendingOwn().map((e) => e.what)).toEqual(['the stack']);
  });

  it('replays unsettled entries newest first and leaves settled ones alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ledger-'));
    const victim = mkdtempSync(join(tmpdir(), 'fd-victim-'));
    const kept = mkdtempSync(join(tmpdir(), 'fd-kept-'));
    const ledger = Ledger.open(dir, 'r1');
    const settled = ledger.record('kept dir', { type: 'remove-dir', path: kept });
    ledger.settle(settled.id);
    ledger.record('victim dir', { type: 'remove-dir', path: victim });
    const order: string[] = [];
    ledger.record('second', { type: 'run-command', argv: ['true'] });
    const result = await replayLedgers(dir, (l) => order.push(l));
    expect(order).toEqual(['undone: second', 'undone: victim dir']);
    expect(existsSync(victim)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(result.failed).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    // idempotent
    expect((await replayLedgers(dir)).undone).toEqual([]);
  });

  it('kills a recorded process, but not a different process that reused its PID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ledger-'));
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const ledger = Ledger.open(dir, 'r2');
    ledger.record('stale pid', { type: 'kill-process', pid, startTime: 'not-its-start-time' });
    await replayLedgers(dir);
    expect(processStartTime(pid)).toBeDefined();
    ledger.record('sleep', { type: 'kill-process', pid, startTime: processStartTime(pid) });
    const exited = new Promise((r) => child.on('exit', r));
    await replayLedgers(dir);
    expect(await exited).toBeNull(); // exit code null: killed by a signal
  });

  it('keeps the file when an undo fails, so cleanup can be retried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ledger-'));
    Ledger.open(dir, 'r3').record('fails', { type: 'run-command', argv: ['false'] });
    const result = await replayLedgers(dir);
    expect(result.failed).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['r3.jsonl']);
  });

  it("names its owner first, and replays a live foreign owner's ledger only when forced", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ledger-'));
    const victim = mkdtempSync(join(tmpdir(), 'fd-victim-'));
    Ledger.open(dir, 'r4').record('victim dir', { type: 'remove-dir', path: victim });
    const lines = readFileSync(join(dir, 'r4.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      op: 'owner',
      pid: process.pid,
      startTime: processStartTime(process.pid),
    });
    // the same ledger as another live process would have written it
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const owner = { ...lines[0], pid: other.pid, startTime: processStartTime(other.pid!) };
      writeFileSync(
        join(dir, 'r4.jsonl'),
        [owner, ...lines.slice(1)].map((l) => JSON.stringify(l)).join('\n') + '\n',
      );
      const left = await replayLedgers(dir);
      expect(left.undone).toEqual([]);
      expect(left.skipped).toMatchObject([{ runId: 'r4', state: 'alive', pending: 1 }]);
      expect(existsSync(victim)).toBe(true);
      expect((await replayLedgers(dir, () => {}, { force: true })).undone).toHaveLength(1);
      expect(existsSync(victim)).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
