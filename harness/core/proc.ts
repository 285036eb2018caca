/**
 * What /proc says about a process: its identity (start time) and whether it has really ended.
 * Linux only, like the faults that need it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may contain spaces; fields after the last ')' are fixed
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * True once a process holds nothing any more: gone from /proc, or a zombie waiting to be reaped.
 * A zombie leader is not enough: after SIGKILL the threads of a process exit one by one, and
 * /proc/PID shows the main thread as a zombie while another (say one in an fsync) still holds
 * the open files and listening sockets. It has ended when no thread but that zombie is left.
 */
export function processEnded(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') return false;
    return readdirSync(`/proc/${pid}/task`).every((tid) => tid === String(pid));
  } catch {
    return true; // gone while we looked
  }
}
