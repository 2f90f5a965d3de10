// Turning console arguments into strings, so console output can cross the
// worker boundary as JSON. Pure.

export type ConsoleLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';
export const CONSOLE_LEVELS: readonly ConsoleLevel[] = ['debug', 'log', 'info', 'warn', 'error'];

export type VatConsole = Record<ConsoleLevel, (...args: unknown[]) => void>;

const MAX_RENDERED = 10_000;

const clip = (text: string): string =>
  text.length > MAX_RENDERED ? `${text.slice(0, MAX_RENDERED)}...[${text.length - MAX_RENDERED} more]` : text;

/** Render one console argument as text (strings pass through). */
export function renderConsoleArg(arg: unknown): string {
  if (typeof arg === 'string') return clip(arg);
  if (arg instanceof Error) {
    return clip(`${arg.name}: ${arg.message}`);
  }
  switch (typeof arg) {
    case 'bigint':
      return `${arg}n`;
    case 'symbol':
    case 'function':
    case 'undefined':
      return String(arg);
    default:
      break;
  }
  try {
    const text = JSON.stringify(arg, (_key, value: unknown) =>
      typeof value === 'bigint' ? `${value}n` : value,
    );
    return clip(text ?? String(arg));
  } catch {
    // cycles, exotic objects: fall back to the engine's own rendering
    try {
      return clip(String(arg));
    } catch {
      return '[unprintable]';
    }
  }
}

/** A console whose every level renders its arguments and hands them to `emit`. */
export function makeForwardingConsole(emit: (level: ConsoleLevel, args: string[]) => void): VatConsole {
  const make =
    (level: ConsoleLevel) =>
    (...args: unknown[]): void =>
      emit(level, args.map(renderConsoleArg));
  return {
    debug: make('debug'),
    log: make('log'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
  };
}
