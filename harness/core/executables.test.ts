import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, isExecutable } from './executables.ts';

describe('findOnPath', () => {
  const root = mkdtempSync(join(tmpdir(), 'fd-exec-'));
  const [a, b, c] = ['a', 'b', 'c'].map((d) => join(root, d)) as [string, string, string];
  for (const d of [a, b, c]) mkdirSync(d);
  writeFileSync(join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
  mkdirSync(join(b, 'tool')); // a searchable directory, not a program
  writeFileSync(join(c, 'tool'), '#!/bin/sh\n');
  chmodSync(join(c, 'tool'), 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('skips files it may not execute and directories, as a shell does', () => {
    expect(isExecutable(join(a, 'tool'))).toBe(false);
    expect(isExecutable(join(b, 'tool'))).toBe(false);
    expect(findOnPath('tool', [a, b, c])).toBe(join(c, 'tool'));
  });

  it('answers undefined when no directory has it', () => {
    expect(findOnPath('tool', [a, b])).toBeUndefined();
    expect(findOnPath('absent', [a, b, c])).toBeUndefined();
  });
});
