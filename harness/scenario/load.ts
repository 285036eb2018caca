/**
 * Finding and validating scenario files. A scenario is a module under scenarios/ whose default
 * export is a defineScenario() document; it is validated here, before anything runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.ts';
import { formatIssues, type Scenario, scenarioSchema } from './schema.ts';

export const defaultScenarioDir = (root = process.cwd()) => join(root, 'scenarios');

export function listScenarioNames(dir = defaultScenarioDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

/** What the drilled system's config sets for scenarios that leave it out. */
export interface ScenarioDefaults {
  readonly targets?: { readonly mttdMs?: number; readonly mttrMs?: number };
}

/** Load by name (from the scenario dir) or by path to a file. */
export async function loadScenario(
  nameOrPath: string,
  dir = defaultScenarioDir(),
  defaults: ScenarioDefaults = {},
): Promise<Scenario> {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.ts');
  const file = isPath ? resolve(nameOrPath) : join(dir, `${nameOrPath}.ts`);
  if (!existsSync(file)) {
    if (isPath) throw new UserError(`scenario file not found: ${file}`);
    throw new UserError(
      `unknown scenario "${nameOrPath}"; available: ${listScenarioNames(dir).join(', ')} (see pnpm scenario --list)`,
    );
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new UserError(
      `scenario ${file}: cannot be loaded: ${err instanceof Error ? err.message.split('\n')[0] : err}`,
    );
  }
  if (mod.default === undefined)
    throw new UserError(`scenario ${file}: no default export (export default defineScenario({...}))`);
  const parsed = scenarioSchema.safeParse(withDefaults(mod.default, defaults));
  if (!parsed.success) throw new UserError(`invalid scenario ${file}: ${formatIssues(parsed.error)}`);
  if (!isPath && parsed.data.name !== nameOrPath)
    throw new UserError(
      `invalid scenario ${file}: name: "${parsed.data.name}" does not match the file name "${nameOrPath}"`,
    );
  return parsed.data;
}

/** The scenario's own targets win over the config's, field by field. */
function withDefaults(doc: unknown, defaults: ScenarioDefaults): unknown {
  if (!defaults.targets || typeof doc !== 'object' || doc === null) return doc;
  const own = (doc as { targets?: unknown }).targets;
  if (own !== undefined && (typeof own !== 'object' || own === null)) return doc; // the schema names it
  return { ...doc, targets: { ...defaults.targets, ...(own as object | undefined) } };
}
