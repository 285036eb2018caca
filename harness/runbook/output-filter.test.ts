import { describe, expect, it } from 'vitest';
import { invocations } from './invocation.ts';
import { applyFilter, parseFilter } from './output-filter.ts';

const filterOf = (command: string) => parseFilter(invocations(command)[1]!);
const LOG = 'INFO start\nERROR db down\nWARN slow\nContainers:\n  main:\n    Image: x\nINFO done\n';

describe('output filters', () => {
  it.each([
    ['x | grep -E "(ERROR|WARN)"', 'ERROR db down\nWARN slow\n', true],
    ['x | grep -i error', 'ERROR db down\n', true],
    ['x | grep -v INFO', 'ERROR db down\nWARN slow\nContainers:\n  main:\n    Image: x\n', true],
    ['x | grep -A 2 "Containers:"', 'Containers:\n  main:\n    Image: x\n', true],
    ['x | head -2', 'INFO start\nERROR db down\n', true],
    ['x | tail -n 1', 'INFO done\n', true],
    ['x | grep FATAL', '', false],
  ])('%s', (command, output, ok) => {
    const f = filterOf(command);
    expect(f).toBeDefined();
    expect(applyFilter(f!, LOG)).toEqual({ output, ok });
  });

  it('declines what it cannot reproduce', () => {
    expect(filterOf('x | grep -c ERROR')).toBeUndefined();
    expect(filterOf('x | grep ERROR file.log')).toBeUndefined();
    expect(filterOf('x | awk "{print $1}"')).toBeUndefined();
  });
});
