import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { RUN_RECORD_SCHEMA_PATH, readCommittedJsonSchema, renderRunRecordJsonSchema } from './json-schema.ts';
import { type RunRecord, runRecordJsonSchema } from './record.ts';
import { readRunRecords, writeRunRecord } from './store.ts';
import { fixedHistory } from './testing/fixed-history.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'firedrill-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeRunRecord()', () => {
  it('writes <runId>.json that reads back equal, leaving no temp file', async () => {
    const dir = join(root, 'roundtrip', 'runs');
    const records = fixedHistory();
    for (const r of records) await writeRunRecord(dir, r);
    expect((await readdir(dir)).filter((n) => !n.endsWith('.json'))).toEqual([]);
    expect(await readdir(dir)).toContain('db-1.json');
    const { records: back, invalid } = await readRunRecords(dir);
    expect(invalid).toEqual([]);
    const byStart = [...records].sort(
      (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId),
    );
    expect(back).toEqual(byStart);
  });

  it('replaces an existing record whole', async () => {
    const dir = join(root, 'replace');
    const r = fixedHistory()[1]!;
    await writeRunRecord(dir, r);
    await writeRunRecord(dir, { ...r, escalated: true });
    const text = await readFile(join(dir, `${r.runId}.json`), 'utf8');
    expect(JSON.parse(text).escalated).toBe(true);
  });

  it('refuses a record that does not match the schema, naming the field', async () => {
    const bad = { ...fixedHistory()[1]!, outcome: 'fixed-itself' } as unknown as RunRecord;
    await expect(writeRunRecord(join(root, 'bad'), bad)).rejects.toThrow(UserError);
    await expect(writeRunRecord(join(root, 'bad'), bad)).rejects.toThrow(/outcome/);
  });

  it('refuses a run id that is not a safe file name', async () => {
    const r = { ...fixedHistory()[1]!, runId: '../escape' };
    await expect(writeRunRecord(join(root, 'unsafe'), r)).rejects.toThrow(/cannot be a file name/);
  });
});

describe('readRunRecords()', () => {
  it('skips invalid files and reports each with its path and why', async () => {
    const dir = join(root, 'mixed');
    await mkdir(dir, { recursive: true });
    const [, good] = fixedHistory();
    await writeRunRecord(dir, good!);
    await writeFile(join(dir, 'truncated.json'), '{"version": 1, "runId": "x"');
    await writeFile(join(dir, 'wrong.json'), JSON.stringify({ ...good, runId: 'wrong', version: 2 }));
    await writeFile(join(dir, 'notes.txt'), 'not a record');
    const { records, invalid } = await readRunRecords(dir);
    expect(records.map((r) => r.runId)).toEqual([good!.runId]);
    expect(invalid).toHaveLength(2);
    expect(invalid[0]).toMatchObject({ path: join(dir, 'truncated.json') });
    expect(invalid[0]!.reason).toMatch(/^not JSON/);
    expect(invalid[1]).toMatchObject({ path: join(dir, 'wrong.json') });
    expect(invalid[1]!.reason).toMatch(/^version:/);
  });

  it('leaves out records started before sinceMs', async () => {
    const dir = join(root, 'since');
    for (const r of fixedHistory()) await writeRunRecord(dir, r);
    const { records } = await readRunRecords(dir, { sinceMs: Date.parse('2026-02-01T00:00:00Z') });
    expect(records.map((r) => r.runId)).toEqual(['db-6', 'db-8']);
  });

  it('says clearly when the folder does not exist', async () => {
    await expect(readRunRecords(join(root, 'nope'))).rejects.toThrow('no such folder of run records');
  });
});

describe('the published JSON Schema', () => {
  it('is up to date with runRecordSchema (run `pnpm report --write-schema` if not)', async () => {
    expect(await readCommittedJsonSchema()).toEqual(runRecordJsonSchema());
    expect(await readFile(RUN_RECORD_SCHEMA_PATH, 'utf8')).toBe(renderRunRecordJsonSchema());
  });

  it('describes the fields readers rely on', () => {
    const schema = runRecordJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['runId', 'outcome', 'metrics', 'targets', 'steps']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'runId', 'outcome', 'metrics']));
  });
});
