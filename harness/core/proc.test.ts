import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { processEnded, processStartTime } from './proc.ts';

const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within 5 s`);
}

// How a SIGKILLed Prometheus looked to the kube matrix: its main thread a zombie, another thread
// still exiting and still holding the listening socket. Python's ctypes lets a main thread end
// alone (pthread_exit) while another thread goes on; that one ends when its stdin closes.
const MAIN_THREAD_ENDS_FIRST = `
import ctypes, socket, sys, threading
listener = socket.socket(); listener.bind(('127.0.0.1', 0)); listener.listen()
threading.Thread(target=sys.stdin.read).start()
print(listener.getsockname()[1], flush=True)
ctypes.CDLL(None).pthread_exit(None)
`;

it('a process has not ended while a thread outlives its zombie main thread', async () => {
  const child = spawn('python3', ['-c', MAIN_THREAD_ENDS_FIRST], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const pid = child.pid!;
  try {
    const port = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    expect(Number(port.value)).toBeGreaterThan(0);
    await until('main thread a zombie', () => state(pid) === 'Z');
    expect(processStartTime(pid)).toBeDefined();
    expect(processEnded(pid)).toBe(false);

    child.stdin.end(); // the last thread returns
    await until('process ended', () => processEnded(pid));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  expect(processEnded(pid)).toBe(true);
  expect(processStartTime(pid)).toBeUndefined();
});
