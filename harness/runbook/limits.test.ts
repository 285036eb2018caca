// Size and nesting limits: a 5 MB runbook and hostile shapes parse in bounded time, or end in
// one warning line each, never a stack overflow or a hang.
import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_LINES } from './code-steps.ts';
import { MAX_NESTING } from './markdown.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import { bigRunbook } from './testing/big-runbook.ts';

const HEAD = '# R\n\n## Resolution\n\n';

describe('runbook size and nesting limits', () => {
  it('parses a 5 MB runbook with a pathological nested list/blockquote in bounded time', () => {
    const text = bigRunbook(5_000_000, { pathological: true });
    expect(text.length).toBeGreaterThan(5_000_000);
    const t0 = performance.now();
    const rb = parseRunbook(text, 'big.md');
    const ms = performance.now() - t0;
    const cases = rb.sections.filter((s) => /^Case \d+$/.test(s.title));
    expect(cases.length).toBeGreaterThan(15_000);
    // two commands in the block and one in the numbered list, per case
    expect(allSteps(rb).filter((s) => s.section.startsWith('Case ')).length).toBe(cases.length * 3);
    const deep = text.split('\n').findIndex((l) => l.startsWith('> - > - ')) + 1;
    expect(rb.warnings.filter((w) => /nest deeper/.test(w.message))).toEqual([
      {
        line: deep,
        message: `lists/blockquotes nest deeper than ${MAX_NESTING} levels here; what is inside is not read (flatten it)`,
      },
    ]);
    // generous for a loaded 2-core machine; the parse takes about two seconds alone
    expect(ms).toBeLessThan(45_000);
  }, 90_000);

  it.each([
    [
      '200 000 commands in one block',
      `${HEAD}\`\`\`bash\n${'kubectl get pods -n x\n'.repeat(200_000)}\`\`\`\n`,
    ],
    [
      'a 100 000-deep $( nesting',
      `${HEAD}\`\`\`bash\necho "${'$('.repeat(100_000)}${')'.repeat(100_000)}"\n\`\`\`\n`,
    ],
    [
      'a 200 000-line backslash continuation',
      `${HEAD}\`\`\`bash\n${'kubectl get pods \\\n'.repeat(200_000)}x\n\`\`\`\n`,
    ],
    [
      'an unclosed quote over 1 000 000 lines',
      `${HEAD}\`\`\`bash\necho "a\n${'x\n'.repeat(1_000_000)}\`\`\`\n`,
    ],
    ['20 000 nested blockquotes', `${HEAD}${'>'.repeat(20_000)} \`kubectl get pods\`\n`],
    [
      '2 000 nested admonitions',
      `${HEAD}${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(4 * i)}!!! note`).join('\n')}\n`,
    ],
  ])(
    '%s: bounded, with at most a warning',
    (_name, text) => {
      const t0 = performance.now();
      const rb = parseRunbook(text, 'hostile.md');
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(rb.sections.map((s) => s.title)).toEqual(['Resolution']);
    },
    60_000,
  );

  it('says why an oversized inline command is not a step', () => {
    const rb = parseRunbook(`${HEAD}- run \`kubectl get ${'x'.repeat(5_000_000)}\`\n`, 'inline.md');
    expect(allSteps(rb)).toEqual([]);
    expect(rb.warnings.map((w) => [w.line, w.message])).toEqual([
      [5, 'inline command is longer than 16384 characters; not used as a step'],
    ]);
  });

  it('says why it stopped reading an oversized command, at the line it starts', () => {
    const text = `${HEAD}\`\`\`bash\nkubectl get pods \\\n${'  -o wide \\\n'.repeat(MAX_COMMAND_LINES + 5)}\necho after\n\`\`\`\n`;
    const rb = parseRunbook(text, 'long.md');
    expect(allSteps(rb)).toEqual([]);
    expect(rb.warnings).toEqual([
      {
        line: 6,
        message: `command runs over more than ${MAX_COMMAND_LINES} lines; it and the rest of this code block are not used as steps`,
      },
    ]);
  });
});
