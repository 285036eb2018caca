/**
 * Generated runbooks for size and nesting limits: many ordinary sections and code blocks,
 * optionally followed by a pathological deeply nested list/blockquote.
 */

/** A runbook of about `bytes` characters of ordinary sections, each with a fix and a check. */
export function bigRunbook(bytes: number, options: { pathological?: boolean } = {}): string {
  const parts: string[] = [
    '# Generated runbook\n\n## Detection\n\n- **ApiDown**: health check fails\n\n## Resolution\n',
  ];
  let size = parts[0]!.length;
  for (let n = 1; size < bytes; n++) {
    const section = [
      `### Case ${n}\n`,
      `**Symptoms**: case ${n} misbehaves\n`,
      '```bash',
      `# Restart worker ${n}`,
      `kubectl rollout restart deployment/worker-${n} -n agent-agency`,
      `kubectl rollout status deployment/worker-${n} -n agent-agency --timeout=60s`,
      '```\n',
      `1. Look at the pods: \`kubectl get pods -n agent-agency -l app=worker-${n}\``,
      `2. Then wait a little.\n`,
    ].join('\n');
    parts.push(section);
    size += section.length;
  }
  parts.push('## Verification\n\n```bash\ncurl -fsS --max-time 5 http://127.0.0.1:8080/health\n```\n');
  if (options.pathological) {
    // 20 000 levels of list-in-blockquote: a recursive descent overflows the stack on this.
    parts.push('## Deep\n\n');
    parts.push(`${'> - '.repeat(20_000)}kubectl get pods -n agent-agency\n`);
  }
  return parts.join('\n');
}
