// The errors iptables prints (xtables_error with PARAMETER_PROBLEM and friends), as values: a
// parse never throws, the command and restore layers turn these into stderr and exit codes.

export class IptablesError {
  constructor(
    /** The message after "iptables v1.8.9 (nf_tables): ". */
    readonly message: string,
    /** Exit status iptables uses: 1 for most failures, 2 for parameter problems, 4 for kernel refusals. */
    readonly status: number = 2,
  ) {}
}

export const isError = (v: unknown): v is IptablesError => v instanceof IptablesError;
