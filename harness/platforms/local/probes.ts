/**
 * Readiness probes against a pod's own port: HTTP status, TCP accept, or for Postgres a real
 * startup handshake, since a Postgres that accepts TCP may still answer "the database system
 * is starting up" (during crash recovery after a SIGKILL, for instance).
 */
import { connect } from 'node:net';

export type Readiness =
  | { type: 'http'; path: string; periodMs: number }
  | { type: 'tcp'; periodMs: number }
  | { type: 'postgres'; user: string; database: string; periodMs: number };

const PROBE_TIMEOUT_MS = 1000;

export async function probeOnce(port: number, readiness: Readiness): Promise<boolean> {
  switch (readiness.type) {
    case 'http':
      try {
        const res = await fetch(`http://127.0.0.1:${port}${readiness.path}`, {
          signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
        await res.body?.cancel();
        return res.status >= 200 && res.status < 400;
      } catch {
        return false;
      }
    case 'tcp':
      return exchange(port, undefined, () => true);
    case 'postgres':
      // AuthenticationOk ('R', code 0) means the server takes sessions; an ErrorResponse ('E')
      // means it is still starting or recovering. Trust auth: no password exchange.
      return exchange(port, startupMessage(readiness.user, readiness.database), (data) => {
        return data[0] === 0x52 && data.length >= 9 && data.readInt32BE(5) === 0;
      });
  }
}

function startupMessage(user: string, database: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, params]);
}

/** Connect; with no message, success is the accept; else judge the first answer. */
function exchange(
  port: number,
  message: Buffer | undefined,
  judge: (first: Buffer) => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      // Terminate ('X') politely so the server does not log an incomplete startup packet.
      if (message && ok) socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
      else socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once('connect', () => {
      if (!message) done(true);
      else socket.write(message);
    });
    socket.once('data', (data) => done(judge(data)));
  });
}
