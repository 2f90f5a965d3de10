// XS has `print` but no `console`. SES lockdown wraps whatever console it
// finds, so install a minimal one first. Each call looks `print` up at call
// time: the supervisor later replaces `print` to forward output to the kernel.
// Runs in the start compartment before lockdown.

const render = (arg: unknown): string => {
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
};

const printAll = (...args: unknown[]): void => {
  const { print } = globalThis as unknown as { print: (...text: string[]) => void };
  print(...args.map(render));
};

const ignore = (): void => {};

const host = globalThis as unknown as { console?: unknown };
if (host.console === undefined) {
  host.console = {
    debug: printAll,
    log: printAll,
    info: printAll,
    warn: printAll,
    error: printAll,
    // SES's console wrapper expects the rest of the Console surface to exist
    assert: ignore,
    clear: ignore,
    count: ignore,
    countReset: ignore,
    dir: ignore,
    dirxml: ignore,
    group: ignore,
    groupCollapsed: ignore,
    groupEnd: ignore,
    table: ignore,
    time: ignore,
    timeEnd: ignore,
    timeLog: ignore,
    timeStamp: ignore,
    trace: ignore,
    profile: ignore,
    profileEnd: ignore,
  };
}

export {};
