/** Why the step policy refuses (part of) a command, with where in the command. */
export interface Refusal {
  /** 'host-program', 'file-write', 'config-escape', 'scale-cap', 'outside-drill', 'host-file'. */
  readonly rule: string;
  /** Offset in the command, for the lint line. */
  readonly offset: number;
  readonly message: string;
}
