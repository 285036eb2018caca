/** What translating a runbook command for the local platform yields. */
import type { PlatformAction } from '../platforms/types.ts';
import type { HostMap } from './hostmap.ts';
import type { OutputFilter } from './output-filter.ts';

export interface HttpCheck {
  readonly method: string;
  /** URL after the host map. */
  readonly url: string;
  readonly originalUrl: string;
  /** Header values may still hold $VARIABLES; the executor fills them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** `curl -f`: an HTTP status >= 400 fails the step. */
  readonly failOnHttpError: boolean;
}

export type Translation =
  | {
      readonly translatable: true;
      readonly target: 'platform';
      readonly action: PlatformAction;
      readonly description: string;
      readonly notes: readonly string[];
      /** `| grep ...` / `| head -N` to apply to the output, as the shell would. */
      readonly filter?: OutputFilter;
    }
  | {
      readonly translatable: true;
      readonly target: 'http';
      readonly http: HttpCheck;
      readonly description: string;
      readonly notes: readonly string[];
      /** `| grep ...` / `| head -N` to apply to the output, as the shell would. */
      readonly filter?: OutputFilter;
    }
  | { readonly translatable: false; readonly reason: string };

export interface TranslateOptions {
  readonly hostMap: HostMap;
  /** The drill's namespace; a command aimed at another namespace is refused. */
  readonly namespace?: string;
}

export const no = (reason: string): Translation => ({ translatable: false, reason });
