import { describe, expect, it } from 'vitest';
import { type Block, scanBlocks } from './markdown.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';

const code = (blocks: Block[]) => blocks.filter((b) => b.type === 'code');

describe('scanBlocks (CommonMark via markdown-it)', () => {
  it('keeps the source line of every code line, in lists, blockquotes and ~~~ fences', () => {
    const blocks = scanBlocks(
      '# T\n\n1. First:\n\n   ```bash\n   kubectl get pods -n a\n   ```\n\n> ~~~sh\n> echo one\n> echo two\n> ~~~\n',
    );
    expect(code(blocks)).toEqual([
      {
        type: 'code',
        lang: 'bash',
        line: 5,
        lines: [{ text: 'kubectl get pods -n a', line: 6 }],
        closed: true,
        container: 'list',
      },
      {
        type: 'code',
        lang: 'sh',
        line: 9,
        lines: [
          { text: 'echo one', line: 10 },
          { text: 'echo two', line: 11 },
        ],
        closed: true,
        container: 'blockquote',
      },
    ]);
  });

  it('reads GFM tables with the line of each row', () => {
    const blocks = scanBlocks('# T\n\n| Level | Contact |\n|---|---|\n| L1 | on-call |\n| L2 | lead |\n');
    expect(blocks[1]).toEqual({
      type: 'table',
      line: 3,
      header: ['Level', 'Contact'],
      rows: [
        { cells: ['L1', 'on-call'], line: 5 },
        { cells: ['L2', 'lead'], line: 6 },
      ],
    });
  });

  it('keeps HTML comments as HTML, even with a fence inside', () => {
    const blocks = scanBlocks('# T\n\n<!--\n```bash\nkubectl delete ns x\n```\n-->\n');
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'html']);
  });

  it('un-indents !!! admonition bodies so their fences are code, lines unchanged', () => {
    const blocks = scanBlocks(
      '# T\n\n!!! warning "Careful"\n    ```bash\n    kubectl get pods -n a\n    ```\n',
    );
    expect(code(blocks)).toMatchObject([
      { lang: 'bash', line: 4, lines: [{ text: 'kubectl get pods -n a', line: 5 }], container: 'admonition' },
    ]);
  });
});

describe('parse warnings for what is not run', () => {
  it('an unclosed fence says so at its line', () => {
    const rb = parseRunbook('# R\n## Fix\n```bash\nkubectl get pods -n a\n\n## Verify\n', 'r.md');
    expect(rb.warnings.map((w) => [w.line, w.message])).toContainEqual([
      3,
      'code block is never closed; everything after it to the end of its container is read as code',
    ]);
  });

  it('an HTML comment with commands, on lines or in `code`, is a note at its line', () => {
    const rb = parseRunbook(
      '# R\n## Fix\n\n<!--\nOld: `kubectl delete ns a`\n-->\n\n<!-- just a remark -->\n',
      'r.md',
    );
    expect(allSteps(rb)).toEqual([]);
    expect(rb.warnings.map((w) => [w.line, w.message])).toEqual([
      [4, 'HTML comment holds commands; commented-out commands are never run as steps'],
    ]);
  });

  it('an indented code block of commands is used like a fence without a language', () => {
    const rb = parseRunbook('# R\n## Fix\n\n    kubectl rollout restart deployment/a -n a\n', 'r.md');
    expect(allSteps(rb).map((s) => [s.command, s.line])).toEqual([
      ['kubectl rollout restart deployment/a -n a', 4],
    ]);
  });

  it('an inline HTML comment in a list item hides its code, the rest of the item counts', () => {
    const rb = parseRunbook(
      '# R\n## Fix\n1. Restart <!-- `kubectl delete ns a` --> with `kubectl rollout restart deployment/a -n a`\n',
      'r.md',
    );
    expect(allSteps(rb).map((s) => [s.command, s.comment])).toEqual([
      ['kubectl rollout restart deployment/a -n a', 'Restart with'],
    ]);
  });
});
