/**
 * Live progress: on a terminal one status line redrawn in place (phase, elapsed time, what it
 * waits for); in CI or a pipe, plain lines, one per phase change.
 */
import type { Clock } from '../core/clock.ts';
import type { Phase } from '../core/timeline.ts';

export interface Progress {
  begin(label: string): void;
  phase(phase: Phase, waitingFor: string): void;
  line(text: string): void;
  end(): void;
}

export function createProgress(clock: Clock, stream: NodeJS.WriteStream = process.stderr): Progress {
  const live = stream.isTTY === true && !process.env.CI;
  let label = '';
  let start = clock.now().monoMs;
  let current = '';
  let timer: NodeJS.Timeout | undefined;
  const secs = () => ((clock.now().monoMs - start) / 1000).toFixed(1).padStart(5);
  const draw = () => stream.write(`\r\x1b[2K${label} ${secs()}s  ${current}`);
  return {
    begin(l) {
      label = l;
      start = clock.now().monoMs;
      if (live) timer = setInterval(draw, 200);
    },
    phase(phase, waitingFor) {
      current = `${phase}: waiting for ${waitingFor}`;
      if (live) draw();
      else stream.write(`${label} ${secs()}s  ${current}\n`);
    },
    line(text) {
      if (live) stream.write('\r\x1b[2K');
      stream.write(`${text}\n`);
      if (live) draw();
    },
    end() {
      if (timer) clearInterval(timer);
      if (live) stream.write('\r\x1b[2K');
    },
  };
}
