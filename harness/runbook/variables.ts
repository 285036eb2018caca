/**
 * Placeholder values ($API_KEY, ${SEVERITY}) supplied by the drill. A missing value fails
 * the step before it runs: running `curl -H "Authorization: Bearer "` would test nothing.
 */
import { scanExpansions } from './shell.ts';

export type Variables = Readonly<Record<string, string>>;

/** Placeholder names of a step that have no value. */
export const missingVariables = (placeholders: readonly string[], vars: Variables): string[] =>
  placeholders.filter((p) => vars[p] === undefined);

export const missingMessage = (missing: readonly string[], vars: Variables): string => {
  const names = missing.map((m) => `$${m}`).join(', ');
  const known = Object.keys(vars);
  return `placeholder${missing.length > 1 ? 's' : ''} ${names} ha${missing.length > 1 ? 've' : 's'} no value; the drill supplies ${known.length ? known.map((k) => `$${k}`).join(', ') : 'no variables'}`;
};

/** Replace $NAME / ${NAME} in text that will not pass through a shell (translated steps). */
export function fillVariables(text: string, vars: Variables): string {
  let out = '';
  let last = 0;
  for (const e of scanExpansions(text)) {
    const value = vars[e.name];
    if (value === undefined) continue;
    const braced = text[e.offset + 1] === '{';
    const end = braced ? text.indexOf('}', e.offset) + 1 : e.offset + 1 + e.name.length;
    out += text.slice(last, e.offset) + value;
    last = end;
  }
  return out + text.slice(last);
}

/** Every string inside a JSON-like value, filled. */
export function fillDeep<T>(value: T, vars: Variables): T {
  if (typeof value === 'string') return fillVariables(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)])) as T;
  return value;
}
