/**
 * A network deny enforced the way a NetworkPolicy is: the link's packets are dropped. A client
 * then waits (its connect or read times out, or it hangs) instead of being refused at once, and
 * an established connection stalls and resumes when the deny is lifted, after TCP's own
 * retransmission back-off. A link is one proxy port on loopback, so two rules drop it in both
 * directions. They sit in the raw table's PREROUTING, ahead of conntrack and of the INPUT chains a
 * cluster on this machine (kube-proxy, kube-router) manages.
 *
 * Needs root and iptables; without them the link proxy refuses instead (denyRejects says so).
 * Each pair of rules is ledgered before it is added, so cleanup after a killed harness deletes it.
 */
import { spawnSync } from 'node:child_process';
import { type Ledger, undo } from '../../core/ledger.ts';

/** Why packets cannot be dropped here, or undefined when they can. */
export function packetDropProblem(iptables: string | undefined): string | undefined {
  if (process.getuid?.() !== 0) return 'dropping packets needs root (iptables)';
  if (!iptables) return 'iptables not found (apt-get install iptables)';
  const r = spawnSync(iptables, ['-w', '5', '-t', 'raw', '-S', 'PREROUTING'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return r.status === 0
    ? undefined
    : `iptables cannot list the raw table (exit ${r.status ?? r.error?.message})`;
}

/** A PacketDrop where this machine can drop packets; else why it cannot (the deny then refuses). */
export function packetDropHere(
  iptables: string | undefined,
  ledger: Ledger,
): PacketDrop | { problem: string } {
  const problem = packetDropProblem(iptables);
  return problem === undefined && iptables
    ? new PacketDrop(iptables, ledger)
    : { problem: problem ?? 'no iptables' };
}

/** The drop rules of these runs still in the raw table (each rule's comment names its run). */
export function dropRulesOf(runIds: readonly string[], iptables = 'iptables'): string[] {
  const r = spawnSync(iptables, ['-w', '5', '-t', 'raw', '-S', 'PREROUTING'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => runIds.some((id) => l.includes(`firedrill ${id} `)));
}

/** The two rules that drop a loopback port's traffic, each as iptables arguments after the chain. */
function rules(port: number, tag: string): string[][] {
  const mark = ['-m', 'comment', '--comment', tag, '-j', 'DROP'];
  return [
    ['-i', 'lo', '-p', 'tcp', '-d', '127.0.0.1', '--dport', String(port), ...mark],
    ['-i', 'lo', '-p', 'tcp', '-s', '127.0.0.1', '--sport', String(port), ...mark],
  ];
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class PacketDrop {
  private readonly iptables: string;
  private readonly ledger: Ledger;

  constructor(iptables: string, ledger: Ledger) {
    this.iptables = iptables;
    this.ledger = ledger;
  }

  /**
   * Drop every packet to and from `port` on loopback until the returned function lifts it.
   * `label` names the deny in the rules' comment and the ledger (letters, digits, spaces and `.:_->` only).
   */
  async drop(port: number, label: string): Promise<() => Promise<void>> {
    const tag = `firedrill ${this.ledger.runId} ${label}`;
    if (!/^[\w .:>-]+$/.test(tag)) throw new Error(`cannot tag an iptables rule with ${JSON.stringify(tag)}`);
    const pair = rules(port, tag);
    // Deletes every copy and succeeds when none is left: safe to run twice, or after a reboot.
    const script = pair
      .map(
        (r) =>
          `while ${quote(this.iptables)} -w 5 -t raw -D PREROUTING ${r.map(quote).join(' ')} 2>/dev/null; do :; done`,
      )
      .join('\n');
    const entry = this.ledger.record(`packet drop on 127.0.0.1:${port} (${label})`, {
      type: 'run-command',
      argv: ['sh', '-c', script],
    });
    const lift = async () => {
      await undo(entry.undo);
      this.ledger.settle(entry.id);
    };
    for (const r of pair) {
      const added = spawnSync(this.iptables, ['-w', '5', '-t', 'raw', '-I', 'PREROUTING', ...r], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      if (added.status !== 0) {
        await lift();
        throw new Error(
          `iptables could not drop 127.0.0.1:${port}: ${added.stderr?.trim() || added.error?.message}`,
        );
      }
    }
    return lift;
  }
}
