/**
 * The published JSON Schema of the run record, for tools outside this repository (CI jobs,
 * dashboards) that read reports/runs/*.json. Generated from runRecordSchema; a test fails
 * when the committed file falls behind, and `pnpm report --write-schema` regenerates it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './atomic-write.ts';
import { runRecordJsonSchema } from './record.ts';

export const RUN_RECORD_SCHEMA_PATH = fileURLToPath(new URL('./run-record.schema.json', import.meta.url));

export const renderRunRecordJsonSchema = (): string => formatJson(runRecordJsonSchema());

const LINE_WIDTH = 110;

/**
 * JSON.stringify with two-space indent, then arrays of plain values folded onto one line when
 * they fit, which is how the repository's formatter (Biome) lays JSON out; the written file
 * therefore passes `pnpm lint` without a formatting pass.
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  const folded = text.replace(
    /^( *)(.*)\[\n((?:\1 {2}(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null),?\n)+)\1\]/gm,
    (all, indent: string, head: string, body: string) => {
      const items = body
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => l.replace(/,$/, ''));
      const line = `${indent}${head}[${items.join(', ')}]`;
      return line.length <= LINE_WIDTH ? line : all;
    },
  );
  return `${folded}\n`;
}

/** Write the schema file; returns its path. */
export async function writeRunRecordJsonSchema(path = RUN_RECORD_SCHEMA_PATH): Promise<string> {
  await writeFileAtomic(path, renderRunRecordJsonSchema());
  return path;
}

/** Parsed content of the committed file, compared by value so formatting by Biome does not matter. */
export async function readCommittedJsonSchema(path = RUN_RECORD_SCHEMA_PATH): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}
