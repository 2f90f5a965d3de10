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

/**
 * testLog's rendering, as SwingSet's kernel log has it: strings as they are,
 * anything else as JSON with bigints as numbers and nested strings of 40 or
 * more characters cut to their first and last 15. Lines are the rendered
 * arguments joined with no separator (see joinTestLogLine).
 */
const abbreviateForTestLog = (_key: string, value: unknown): unknown => {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.length >= 40) return `${value.slice(0, 15)}...${value.slice(-15)}`;
  return value;
};

/**
 * One testLog argument as text. `undefinedAs` is what an argument with no
 * JSON form (undefined, a function) becomes: '' when rendered in the
 * kernel's realm (local vats), 'null' when it crosses a worker boundary as
 * JSON first (xsnap vats), which is what SwingSet's two paths produce.
 * Throws for what JSON cannot encode (cycles), into the calling vat.
 */
export function renderTestLogArg(arg: unknown, undefinedAs: '' | 'null'): string {
  if (typeof arg === 'string') return arg;
  const text = JSON.stringify(arg, abbreviateForTestLog) as string | undefined;
  return text ?? undefinedAs;
}

/** The line testLog(...args) appends to the kernel's log. */
export function joinTestLogLine(rendered: readonly string[]): string {
  return rendered.join('');
}
