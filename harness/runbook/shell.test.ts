import { describe, expect, it } from 'vitest';
import { invocations } from './invocation.ts';
import { assignedNames, scanExpansions, splitSegments } from './shell.ts';
import { needsContinuation, splitTrailingComment, substitutions } from './shell-lines.ts';

const texts = (command: string) => splitSegments(command).map((s) => s.words.map((w) => w.text));

describe('splitSegments', () => {
  it('keeps $(...) with its quotes and spaces as part of one word', () => {
    const cmd = `kubectl describe pod/$(kubectl get pods -l app=x -o jsonpath='{.items[0].metadata.name}') -n ns`;
    expect(texts(cmd)).toEqual([
      [
        'kubectl',
        'describe',
        `pod/$(kubectl get pods -l app=x -o jsonpath='{.items[0].metadata.name}')`,
        '-n',
        'ns',
      ],
    ]);
  });

  it('splits pipelines and lists, keeping the operator', () => {
    const segs = splitSegments('a | b && c || d; e');
    expect(segs.map((s) => [s.words[0]!.text, s.next])).toEqual([
      ['a', '|'],
      ['b', '&&'],
      ['c', '||'],
      ['d', ';'],
      ['e', null],
    ]);
  });

  it('removes quotes from word text but records that they were there', () => {
    const [seg] = splitSegments(`curl -H "Authorization: Bearer $API_KEY" -d '{"a": 1}'`);
    expect(seg!.words.map((w) => w.text)).toEqual([
      'curl',
      '-H',
      'Authorization: Bearer $API_KEY',
      '-d',
      '{"a": 1}',
    ]);
    expect(seg!.words[2]!.quoted).toBe(true);
    expect(seg!.words[2]!.dynamic).toBe(true);
  });

  it('takes redirections out of the words', () => {
    const [seg] = splitSegments('curl -s https://x/ -o /dev/null 2>&1 >out.txt');
    expect(seg!.words.map((w) => w.text)).toEqual(['curl', '-s', 'https://x/', '-o', '/dev/null']);
    expect(seg!.redirects).toEqual([
      { op: '2>&1', target: '' },
      { op: '>', target: 'out.txt' },
    ]);
  });

  it('stops at a comment that starts a word, not at # inside a word', () => {
    expect(texts('echo a#b # trailing')).toEqual([['echo', 'a#b']]);
  });
});

// Strings below are shell text: `${X}` is a shell expansion, not a JavaScript template slot.
describe('scanExpansions', () => {
  it('finds $X and braced $X but not inside single quotes, nor $(...) itself', () => {
    const names = scanExpansions(`echo $A "\${B}" '$C' $(date +%s) "$(echo $D)"`).map((e) => e.name);
    expect(names).toEqual(['A', 'B', 'D']);
  });

  it('marks a default ($X with :-) as supplying its own value', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text
    expect(scanExpansions('echo ${X:-3} $Y')).toEqual([
      { name: 'X', offset: 5, hasDefault: true },
      { name: 'Y', offset: 13, hasDefault: false },
    ]);
  });

  it('ignores arithmetic and special parameters', () => {
    expect(scanExpansions('echo $((N + 1)) $? $1 $#')).toEqual([]);
  });
});

describe('assignedNames', () => {
  it('finds assignments, exports, loop variables and read targets', () => {
    expect(assignedNames('POD=$(kubectl get pods -o name)')).toEqual(['POD']);
    expect(assignedNames('export A=1 B')).toEqual(['A', 'B']);
    expect(assignedNames('for q in a b; do echo $q; done')).toEqual(['q']);
    expect(assignedNames('read -r LINE')).toEqual(['LINE']);
    expect(assignedNames('FOO=1 kubectl get pods')).toEqual(['FOO']);
  });
});

describe('needsContinuation', () => {
  it.each([
    ['kubectl get pods \\', true],
    ['kubectl get pods |', true],
    ['make &&', true],
    ['echo "open', true],
    ["echo 'open", true],
    ['echo $(date', true],
    ['for x in a b; do', true],
    ['for x in a b; do echo $x; done', false],
    ['if true; then echo y; fi', false],
    ['kubectl get pods', false],
    ['echo "done"', false],
  ])('%s -> %s', (text, expected) => {
    expect(needsContinuation(text)).toBe(expected);
  });
});

describe('helpers', () => {
  it('splits a trailing comment outside quotes', () => {
    expect(splitTrailingComment('kubectl get pods # list them')).toEqual(['kubectl get pods', 'list them']);
    expect(splitTrailingComment(`echo "# not a comment"`)).toEqual([`echo "# not a comment"`, undefined]);
  });

  it('finds substitution bodies with offsets', () => {
    const cmd = 'a $(b $(c)) `d`';
    expect(substitutions(cmd)).toEqual([
      { body: 'b $(c)', offset: 4 },
      { body: 'd', offset: 13 },
    ]);
  });

  it('peels wrappers and reaches into substitutions', () => {
    const invs = invocations(
      'timeout 30 kubectl logs -f x | head -5; watch -n 2 kubectl get pods $(date -d now)',
    );
    expect(invs.map((i) => [i.program, i.timeout ?? null, i.watched, i.nested])).toEqual([
      ['kubectl', '30', false, false],
      ['head', null, false, false],
      ['kubectl', null, true, false],
      ['date', null, false, true],
    ]);
    const date = invs[3]!;
    const cmd = 'timeout 30 kubectl logs -f x | head -5; watch -n 2 kubectl get pods $(date -d now)';
    expect(cmd.slice(date.words[1]!.start, date.words[1]!.end)).toBe('-d');
  });
});
