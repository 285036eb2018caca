/**
 * The host map: production origins in the runbook -> the drill's endpoints, e.g.
 * { 'https://api.example.com': 'http://127.0.0.1:31080' }. It is an explicit input
 * (written into the run record and shown in reports), never guessed by the code.
 */

export type HostMap = Readonly<Record<string, string>>;

export interface UrlUse {
  readonly url: string;
  readonly offset: number;
}

/** http(s) URLs written in a command, with their offsets. */
export function urlsIn(command: string): UrlUse[] {
  const out: UrlUse[] = [];
  const re = /https?:\/\/[^\s'"`|;)<>]+/g;
  for (let m = re.exec(command); m; m = re.exec(command)) out.push({ url: m[0], offset: m.index });
  return out;
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** Map keys may be full origins or bare host names; both match the URL's origin. */
function targetFor(url: string, map: HostMap): { from: string; to: string } | undefined {
  const origin = originOf(url);
  if (!origin) return undefined;
  const host = new URL(origin).host;
  for (const [from, to] of Object.entries(map)) {
    const key = from.includes('://') ? originOf(from) : from;
    if (key === origin || key === host) return { from: origin, to: to.replace(/\/+$/, '') };
  }
  return undefined;
}

/** The URL with its origin replaced through the map; undefined when the map has no entry. */
export function mapUrl(url: string, map: HostMap): string | undefined {
  const t = targetFor(url, map);
  return t ? t.to + url.slice(t.from.length) : undefined;
}

export const isLoopbackUrl = (url: string): boolean => {
  try {
    const h = new URL(url).hostname;
    return h === 'localhost' || h === '[::1]' || /^127\./.test(h);
  } catch {
    return false;
  }
};

export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** Rewrite every mapped URL in a command; returns the new text and the mappings used. */
export function applyHostMap(
  command: string,
  map: HostMap,
): { command: string; mapped: { from: string; to: string }[] } {
  const mapped: { from: string; to: string }[] = [];
  let out = '';
  let last = 0;
  for (const u of urlsIn(command)) {
    const to = mapUrl(u.url, map);
    if (to === undefined) continue;
    out += command.slice(last, u.offset) + to;
    last = u.offset + u.url.length;
    mapped.push({ from: u.url, to });
  }
  return { command: out + command.slice(last), mapped };
}
