/** Read and parse a runbook file; a missing or unreadable file is one clear UserError. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors.ts';
import type { Runbook } from './model.ts';
import { parseRunbook } from './parse.ts';

export interface LoadedRunbook {
  readonly runbook: Runbook;
  /** Of the file's bytes, for the run record: which version of the runbook was drilled. */
  readonly sha256: string;
}

export async function loadRunbook(path: string): Promise<LoadedRunbook> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err));
    throw new UserError(`runbook ${path}: ${why}`);
  }
  return {
    runbook: parseRunbook(bytes.toString('utf8'), path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}
