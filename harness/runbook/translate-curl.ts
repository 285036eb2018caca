/** `curl ...` -> an HTTP check against the drill's endpoint, through the host map. */
import { hostOf, isLoopbackUrl, mapUrl } from './hostmap.ts';
import type { ShellWord } from './shell.ts';
import { no, type TranslateOptions, type Translation } from './translate-types.ts';

/** Options whose value is what curl sends (body, header, agent), never where it connects. */
const CONTENT_OPTIONS = new Set([
  '-d',
  '--data',
  '--data-raw',
  '--data-binary',
  '-H',
  '--header',
  '-A',
  '--user-agent',
]);

/**
 * The offsets of a curl invocation's request content: a URL inside a JSON body
 * (`-d '{"url": "https://example.org"}'`) is data, not a host the step talks to.
 */
export function curlContentRanges(words: readonly ShellWord[]): { start: number; end: number }[] {
  return words.flatMap((w, k) => {
    const value = words[k + 1];
    return CONTENT_OPTIONS.has(w.text) && value ? [{ start: value.start, end: value.end }] : [];
  });
}

export function translateCurl(words: readonly ShellWord[], options: TranslateOptions): Translation {
  let method: string | undefined;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let fail = false;
  let url: string | undefined;
  const notes: string[] = [];
  const VALUE = new Set([
    '-X',
    '--request',
    '-H',
    '--header',
    '-d',
    '--data',
    '--data-raw',
    '--data-binary',
    '-o',
    '--output',
    '-w',
    '--write-out',
    '-m',
    '--max-time',
    '--connect-timeout',
    '-u',
    '--user',
    '-A',
    '--user-agent',
    '--retry',
  ]);
  for (let k = 1; k < words.length; k++) {
    const t = words[k]!.text;
    const value = words[k + 1]?.text;
    if (VALUE.has(t)) {
      k++;
      if (value === undefined) continue;
      if (t === '-X' || t === '--request') method = value.toUpperCase();
      else if (t === '-H' || t === '--header') {
        const i = value.indexOf(':');
        if (i > 0) headers[value.slice(0, i).trim()] = value.slice(i + 1).trim();
      } else if (t.startsWith('-d') || t.startsWith('--data')) {
        if (value.startsWith('@'))
          return no(`curl reads its body from ${value.slice(1)}, which the runbook does not provide`);
        body = value;
      } else if (t === '-w' || t === '--write-out') notes.push('--write-out report not produced');
    } else if (/^-[a-zA-Z]+$/.test(t)) {
      if (t.includes('f')) fail = true;
      if (t.includes('I')) method = 'HEAD';
    } else if (t === '--fail' || t === '--fail-with-body') fail = true;
    else if (/^https?:\/\//.test(t)) url = t;
  }
  if (!url) return no('curl without an http(s) URL');
  const mapped = mapUrl(url, options.hostMap) ?? (isLoopbackUrl(url) ? url : undefined);
  if (!mapped) return no(`external host ${hostOf(url)} is not in the host map`);
  const m = method ?? (body !== undefined ? 'POST' : 'GET');
  return {
    translatable: true,
    target: 'http',
    http: {
      method: m,
      url: mapped,
      originalUrl: url,
      headers,
      ...(body !== undefined ? { body } : {}),
      failOnHttpError: fail,
    },
    description: `HTTP ${m} ${mapped}`,
    notes,
  };
}
