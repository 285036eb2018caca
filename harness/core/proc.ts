/**
 * What /proc says about a process: its identity (start time) and whether it has really ended.
 * Linux only, like the faults that need it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...), or undefined. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may contain spaces; the fields after the last ')' are fixed
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * True once a process holds nothing any more: gone from /proc, or a zombie waiting to be reaped.
 * A zombie leader is not enough: after SIGKILL the threads of a process exit one by one, and
 * /proc/PID shows the main thread as a zombie while another (say one in an fsync) still holds
 * the open files and listening sockets. It has ended when no thread but that zombie is left.
 */
export function processEnded(pid: number): boolean {
  const state = statFields(pid)?.[0];
  if (state === undefined) return true;
  if (state !== 'Z') return false;
  try {
    return readdirSync(`/proc/${pid}/task`).every((tid) => tid === String(pid));
  } catch {
    return true; // gone while we looked
  }
}

/** True once every process of the group has ended (a group can outlive its leader). */
export function processGroupEnded(pgid: number): boolean {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && statFields(entry)?.[2] === String(pgid))
    .every((pid) => processEnded(Number(pid)));
}
