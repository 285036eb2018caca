/**
 * Loading the target's config: import the TS file, validate it, resolve its paths against the
 * file's directory and check they exist, import its fault adapters. Every problem is one line,
 * `invalid config <file>: <field>: <problem>`, before anything touches a system.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.ts';
import { type FaultAdapter, isFaultAdapter } from '../faults/adapter.ts';
import { formatIssues } from '../scenario/schema.ts';
import { type Config, configSchema } from './schema.ts';

/** A config with absolute paths and its fault adapters loaded: what the engine is given. */
export interface Target extends Omit<Config, 'faults'> {
  /** The config file it came from. */
  readonly file: string;
  readonly faultAdapters: readonly FaultAdapter[];
}

export const DEFAULT_CONFIG_FILE = 'firedrill.config.ts';

/**
 * Load and resolve a config file. A config whose default export is a string points to another
 * config file (relative to it): the root firedrill.config.ts can name a fixture's config, whose
 * paths stay relative to that file.
 */
export async function loadConfig(file: string, seen: readonly string[] = []): Promise<Target> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new UserError(`config file not found: ${abs} (pass --config <file>)`);
  if (seen.includes(abs))
    throw new UserError(`config ${abs}: points back to itself via ${seen.join(' -> ')}`);
  const mod = await importModule(abs, `config ${abs}`);
  if (typeof mod.default === 'string') return loadConfig(resolve(dirname(abs), mod.default), [...seen, abs]);
  if (mod.default === undefined)
    throw new UserError(`invalid config ${abs}: no default export (export default defineConfig({...}))`);
  const parsed = configSchema.safeParse(mod.default);
  if (!parsed.success) throw new UserError(`invalid config ${abs}: ${formatIssues(parsed.error)}`);
  return resolveConfig(abs, parsed.data);
}

async function importModule(file: string, what: string): Promise<{ default?: unknown }> {
  try {
    return (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new UserError(
      `${what}: cannot be loaded: ${err instanceof Error ? err.message.split('\n')[0] : err}`,
    );
  }
}

async function resolveConfig(file: string, config: Config): Promise<Target> {
  const dir = dirname(file);
  const problem = (field: string, what: string) => new UserError(`invalid config ${file}: ${field}: ${what}`);
  const existing = (field: string, rel: string, kind: 'file' | 'dir'): string => {
    const abs = resolve(dir, rel);
    if (!existsSync(abs)) throw problem(field, `${abs} not found`);
    if (statSync(abs).isDirectory() !== (kind === 'dir')) throw problem(field, `${abs} is not a ${kind}`);
    return abs;
  };
  const { faults, local, kube, alerts, ...rest } = config;
  const faultAdapters: FaultAdapter[] = [];
  for (const [i, rel] of faults.entries()) {
    const field = `faults.${i}`;
    const mod = await importModule(existing(field, rel, 'file'), `invalid config ${file}: ${field}`);
    if (!isFaultAdapter(mod.default))
      throw problem(field, `${rel} has no default export defineFaultAdapter({ kind, create })`);
    faultAdapters.push(mod.default);
  }
  return {
    ...rest,
    file,
    ...(local ? { local: { stackFile: existing('local.stackFile', local.stackFile, 'file') } } : {}),
    ...(kube
      ? {
          kube: 'manifests' in kube ? { manifests: existing('kube.manifests', kube.manifests, 'dir') } : kube,
        }
      : {}),
    scenarios: existing('scenarios', config.scenarios, 'dir'),
    runbook: existing('runbook', config.runbook, 'file'),
    ...(alerts
      ? {
          alerts: {
            source: existing('alerts.source', alerts.source, 'file'),
            rules: {
              fast: existing('alerts.rules.fast', alerts.rules.fast, 'file'),
              production: existing('alerts.rules.production', alerts.rules.production, 'file'),
            },
          },
        }
      : {}),
    faultAdapters,
  };
}

/** The local platform's stack file; a config without one cannot be drilled on local. */
export function localStackFile(target: Target): string {
  if (!target.local)
    throw new UserError(
      `config ${target.file} has no local.stackFile: ${target.name} cannot be drilled on local`,
    );
  return target.local.stackFile;
}

/** The kustomize dir kube applies, or false for `existing: true` (drill what is deployed, apply nothing). */
export function kubeManifests(target: Target): string | false {
  if (!target.kube)
    throw new UserError(
      `config ${target.file} has no kube section: ${target.name} cannot be drilled on kube`,
    );
  return 'manifests' in target.kube ? target.kube.manifests : false;
}
