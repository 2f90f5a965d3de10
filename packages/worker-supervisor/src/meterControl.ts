// The meterControl liveslots needs: it switches metering off around
// GC-sensitive work so computron counts do not depend on when the engine
// collected. Inside XS it drives the native meter; elsewhere it only tracks
// the on/off state, so liveslots' assertions still run.

/** The XS start-compartment meter functions. */
export interface NativeMeter {
  /** The current limit (0 = unlimited). */
  currentMeterLimit(): number;
  /** Set limit and meter index; returns the index before the reset. */
  resetMeter(limit: number, index: number): number;
}

export interface MeterControl {
  isMeteringDisabled(): boolean;
  assertIsMetered(message?: string): void;
  assertNotMetered(message?: string): void;
  runWithoutMetering<T>(thunk: () => T): T;
  runWithoutMeteringAsync<T>(thunk: () => T | Promise<T>): Promise<T>;
  unmetered<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
}

export function makeMeterControl(meter?: NativeMeter): MeterControl {
  let disabledDepth = 0;

  // Pause: remember limit and count, then run with no limit and a zero
  // count; resume: put both back, so the paused work costs nothing.
  const pause = (): (() => void) => {
    disabledDepth += 1;
    if (meter === undefined) {
      return () => {
        disabledDepth -= 1;
      };
    }
    const limit = meter.currentMeterLimit();
    const countBefore = meter.resetMeter(0, 0);
    return () => {
      meter.resetMeter(limit, countBefore);
      disabledDepth -= 1;
    };
  };

  const runWithoutMetering = <T>(thunk: () => T): T => {
    const resume = pause();
    try {
      return thunk();
    } finally {
      resume();
    }
  };

  const runWithoutMeteringAsync = async <T>(thunk: () => T | Promise<T>): Promise<T> => {
    const resume = pause();
    try {
      return await thunk();
    } finally {
      resume();
    }
  };

  return {
    isMeteringDisabled: () => disabledDepth > 0,
    assertIsMetered: (message = 'metering must be enabled here') => {
      if (disabledDepth > 0) throw Error(message);
    },
    assertNotMetered: (message = 'metering must be disabled here') => {
      if (disabledDepth === 0) throw Error(message);
    },
    runWithoutMetering,
    runWithoutMeteringAsync,
    unmetered:
      <A extends unknown[], R>(fn: (...args: A) => R) =>
      (...args: A): R =>
        runWithoutMetering(() => fn(...args)),
  };
}
