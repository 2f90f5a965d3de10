// The CLI's one kind of error: a thing and the reason, printed as one line.
// Any other error that reaches the top is shortened to its first line.

/** Exit codes: 1 for a failed check (a divergence), 2 for anything that stopped the command. */
export const EXIT_CHECK_FAILED = 1;
export const EXIT_ERROR = 2;

export class CliError extends Error {
  readonly thing: string;
  readonly reason: string;
  readonly exitCode: number;
  constructor(thing: string, reason: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(`${thing}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.thing = thing;
    this.reason = reason;
    this.exitCode = options.exitCode ?? EXIT_ERROR;
  }
}

/** One line for the terminal: the CliError message, or the first line of any other error. */
export function errorLine(err: unknown): string {
  if (err instanceof CliError) return `crankshaft: ${err.message}`;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const first = message.split('\n')[0] ?? message;
  return `crankshaft: ${typeof code === 'string' ? `${code}: ` : ''}${first}`;
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
