/**
 * How `pnpm runbook lint` prints findings: for a person (text), for a program (json), for a
 * pull request (GitHub workflow commands, which annotate the changed lines) and for code
 * scanning (SARIF 2.1.0, which GitHub, GitLab and IDEs import).
 */
import type { LintFinding } from '../runbook/lint-types.ts';

export const LINT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface FileFindings {
  /** As the user named it (a relative path stays relative: annotations need repo paths). */
  readonly file: string;
  readonly findings: readonly LintFinding[];
}

export function formatText(results: readonly FileFindings[]): string[] {
  return results.flatMap(({ file, findings }) =>
    findings.map((f) => `${file}:${f.line}: ${f.severity} [${f.rule}] ${f.message}`),
  );
}

export function formatJson(results: readonly FileFindings[]): string[] {
  // one file keeps the shape earlier versions printed ({ file, findings })
  const body = results.length === 1 ? results[0] : { files: results };
  return [JSON.stringify(body, null, 2)];
}

/** Workflow-command escaping (actions/toolkit's command.ts): data and properties differ. */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const GITHUB_LEVEL: Record<LintFinding['severity'], string> = {
  error: 'error',
  warning: 'warning',
  info: 'notice',
};

export function formatGithub(results: readonly FileFindings[]): string[] {
  return results.flatMap(({ file, findings }) =>
    findings.map(
      (f) =>
        `::${GITHUB_LEVEL[f.severity]} file=${escapeProperty(file)},line=${f.line},title=${escapeProperty(
          `runbook lint: ${f.rule}`,
        )}::${escapeData(f.message)}`,
    ),
  );
}

const SARIF_LEVEL: Record<LintFinding['severity'], string> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

export function formatSarif(results: readonly FileFindings[]): string[] {
  const rules = [...new Set(results.flatMap((r) => r.findings.map((f) => f.rule)))].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'firedrill runbook lint',
            rules: rules.map((id) => ({ id, shortDescription: { text: id } })),
          },
        },
        results: results.flatMap(({ file, findings }) =>
          findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: rules.indexOf(f.rule),
            level: SARIF_LEVEL[f.severity],
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: file.split('\\').join('/') },
                  region: { startLine: f.line },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
  return [JSON.stringify(sarif, null, 2)];
}

export const FORMATTERS: Record<LintFormat, (r: readonly FileFindings[]) => string[]> = {
  text: formatText,
  json: formatJson,
  github: formatGithub,
  sarif: formatSarif,
};
