/**
 * What a curl step may do: fetch the drill's own endpoints (the host map's production
 * origins and their targets) and print. It may not write files, read host files into a
 * request, go through a proxy or socket, or reach any other port of this machine (a
 * database, Prometheus, sshd on 127.0.0.1:22).
 */
import { type HostMap, isLoopbackUrl, mapUrl } from './hostmap.ts';
import type { Refusal } from './refusal.ts';
import type { ShellWord } from './shell.ts';
import { hostPath } from './step-policy-args.ts';

// biome-ignore format: a dense table reads better than one entry per line
const VALUE_OPTS = new Set([
  '-X', '-H', '-d', '-o', '-w', '-u', '-A', '-e', '-b', '-c', '-D', '-F', '-K', '-m', '-T', '-x', '-r', '-E',
  '-Y', '-y', '-z', '--max-time', '--connect-timeout', '--retry', '--url', '--resolve', '--connect-to',
  '--proxy', '--preproxy', '--header', '--request', '--user', '--cookie', '--cookie-jar', '--output',
  '--write-out', '--config', '--upload-file', '--form', '--unix-socket', '--abstract-unix-socket',
  '--interface', '--cacert', '--cert', '--key', '--dump-header', '--trace', '--trace-ascii', '--stderr',
  '--output-dir', '--retry-delay', '--retry-max-time', '--limit-rate', '--range', '--referer',
  '--user-agent', '--json', '--data', '--data-binary', '--data-raw', '--data-urlencode', '--data-ascii',
  '--max-filesize', '--local-port', '--dns-servers', '--doh-url', '--noproxy', '--libcurl', '--form-string',
]);
const WRITES = new Set([
  '-o',
  '--output',
  '-D',
  '--dump-header',
  '-c',
  '--cookie-jar',
  '--trace',
  '--trace-ascii',
  '--stderr',
  '--libcurl',
  '--output-dir',
]);
const WRITES_ALWAYS = /^(-O|--remote-name(-all)?|--create-dirs|-[a-zA-Z]*O[a-zA-Z]*)$/;
const DETOURS = new Set([
  '-x',
  '--proxy',
  '--preproxy',
  '--unix-socket',
  '--abstract-unix-socket',
  '--resolve',
  '--connect-to',
  '--doh-url',
  '-K',
  '--config',
  '-T',
  '--upload-file',
]);
const SAFE = new Set(['/dev/null', '-', '/dev/stdout', '/dev/stderr']);
/** A host[:port][/path] written without a scheme (curl assumes http://). */
const BARE_HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][\w.-]*)(:\d+)?(\/\S*)?$/;

/** The origins a step may reach: each host map key and target. */
const drillOrigins = (map: HostMap): Set<string> => {
  const out = new Set<string>();
  for (const [from, to] of Object.entries(map))
    for (const u of [from, to])
      try {
        out.add(new URL(u.includes('://') ? u : `http://${u}`).origin);
      } catch {
        // not a URL; never matches
      }
  return out;
};

/** Refusals for one curl invocation (`words[0]` is curl). Without a host map, targets are not checked. */
export function curlRefusals(
  words: readonly ShellWord[],
  base: number,
  hostMap: HostMap | undefined,
): Refusal[] {
  const out: Refusal[] = [];
  const targets: ShellWord[] = [];
  for (let k = 1; k < words.length; k++) {
    const w = words[k]!;
    const [opt, inline] =
      w.text.startsWith('--') && w.text.includes('=')
        ? [w.text.slice(0, w.text.indexOf('=')), w.text.slice(w.text.indexOf('=') + 1)]
        : [w.text, undefined];
    const at = base + w.start;
    if (WRITES_ALWAYS.test(opt)) {
      out.push({
        rule: 'file-write',
        offset: at,
        message: `refused: \`curl ${opt}\` writes a file on the host`,
      });
      continue;
    }
    if (!opt.startsWith('-') || opt === '-') {
      targets.push(w);
      continue;
    }
    if (!VALUE_OPTS.has(opt)) continue;
    const value = inline ?? words[k + 1]?.text ?? '';
    if (inline === undefined) k++;
    if (WRITES.has(opt) && !SAFE.has(value))
      out.push({
        rule: 'file-write',
        offset: at,
        message: `refused: \`curl ${opt} ${value}\` writes a file on the host; use -o /dev/null`,
      });
    else if (DETOURS.has(opt))
      out.push({
        rule: 'outside-drill',
        offset: at,
        message: `refused: \`curl ${opt}\` sends or reads outside the drill's endpoints`,
      });
    else if (opt === '--url') targets.push({ ...w, text: value });
    const file = /(?:^|=)[@<](\S+)$/.exec(value)?.[1];
    if (file && hostPath(file) && !SAFE.has(file))
      out.push({
        rule: 'host-file',
        offset: at,
        message: `refused: \`curl ${opt} ${value}\` reads a file of the host`,
      });
  }
  if (hostMap) for (const t of targets) out.push(...targetRefusal(t, base, hostMap));
  return out;
}

function targetRefusal(w: ShellWord, base: number, hostMap: HostMap): Refusal[] {
  if (w.dynamic) return [];
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(w.text)?.[1]?.toLowerCase();
  const at = base + w.start;
  if (scheme && scheme !== 'http' && scheme !== 'https')
    return [
      {
        rule: 'outside-drill',
        offset: at,
        message: `refused: \`${scheme}://\` is not one of the drill's HTTP endpoints`,
      },
    ];
  if (!scheme && !BARE_HOST.test(w.text)) return [];
  const url = scheme ? w.text : `http://${w.text}`;
  if (mapUrl(url, hostMap) !== undefined) return [];
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return [];
  }
  if (drillOrigins(hostMap).has(origin)) return [];
  // A non-loopback URL with a scheme is "not applicable" already (classify); say so only
  // for the scheme-less form classify cannot see.
  if (!isLoopbackUrl(url) && scheme) return [];
  return [
    {
      rule: 'outside-drill',
      offset: at,
      message: `refused: ${origin} is not one of the drill's endpoints (${[...drillOrigins(hostMap)].join(', ') || 'none'})`,
    },
  ];
}
