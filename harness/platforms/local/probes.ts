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

/** `true` when the probe passed; otherwise why not, for the error when a pod never gets ready. */
export type ProbeResult = true | string;
const PASS = true;

export async function probeOnce(port: number, readiness: Readiness): Promise<ProbeResult> {
  switch (readiness.type) {
    case 'http':
      try {
        const res = await fetch(`http://127.0.0.1:${port}${readiness.path}`, {
          signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
        await res.body?.cancel();
        return res.status >= 200 && res.status < 400 ? PASS : `GET ${readiness.path}: HTTP ${res.status}`;
      } catch (err) {
        return `GET ${readiness.path}: ${causeOf(err)}`;
      }
    case 'tcp':
      return exchange(port, undefined, () => PASS);
    case 'postgres':
      // AuthenticationOk ('R', code 0) means the server takes sessions; an ErrorResponse ('E')
      // means it is still starting or recovering. Trust auth: no password exchange.
      return exchange(port, startupMessage(readiness.user, readiness.database), (data) =>
        data[0] === 0x52 && data.length >= 9 && data.readInt32BE(5) === 0
          ? PASS
          : 'postgres does not take sessions yet',
      );
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
  judge: (first: Buffer) => ProbeResult,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      // Terminate ('X') politely so the server does not log an incomplete startup packet.
      if (message && result === PASS) socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
      else socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(`no answer within ${PROBE_TIMEOUT_MS} ms`));
    socket.once('error', (err) => done(causeOf(err)));
    socket.once('close', () => done('connection closed'));
    socket.once('connect', () => {
      if (!message) done(PASS);
      else socket.write(message);
    });
    socket.once('data', (data) => done(judge(data)));
  });
}

/** fetch wraps the socket error in `cause`; the code (ECONNREFUSED, ...) is what explains it. */
function causeOf(err: unknown): string {
  const inner = (err as { cause?: unknown })?.cause ?? err;
  const code = (inner as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  return inner instanceof Error ? inner.message : String(inner);
}
