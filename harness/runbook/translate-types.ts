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
      /** Every way the local run differs from what the command would do on a cluster. */
      readonly notes: readonly string[];
      /**
       * The workload a `$(kubectl get pods ... -o jsonpath='{.items[0]...}')` lookup was resolved
       * to; on a cluster that lookup fails when the workload has no pod, so the executor checks.
       */
      readonly podLookup?: string;
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
