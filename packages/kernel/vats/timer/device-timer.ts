// The timer device: the half of the timer service that runs in the kernel
// process. Time is an input: the host calls poll(now) between runs (see
// `buildTimer` in src/timerDevice.ts) and the device sends
// SO(handler).wake(deadline) for every deadline that has passed. Nothing
// here reads a clock, so the same inputs always do the same thing.
//
// Vat-facing methods (D(device).method(...)), as SwingSet's timer device
// has them:
//   setWakeup(time, handler) -> time        one wake() once time has passed
//   removeWakeup(handler) -> times[]        forget every wakeup of handler
//   getLastPolled() -> bigint               the latest time the host gave
//   makeRepeater(startTime, interval) -> index
//   deleteRepeater(index) -> index
//   schedule(index, handler) -> time        wake handler on the repeater's grid
//
// Device state (rewritten after every change, read back on restart):
//   { lastPolled, repeaters: [{ startTime, interval } | undefined],
//     deadlines: [{ time, handlers: [{ handler, index? }] }] }
// Deleted repeaters leave `undefined` so the other indexes stay valid.
import { Far } from '@endo/far';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { DevicePollFunction, TimerDeviceEndowments } from '../../src/devices/timerDevice.js';
import { dueDeadlines, insertDeadline, nextRepeaterTime, removeHandler, toNat, type Deadline } from './timer-math.js';

interface Repeater {
  startTime: bigint;
  interval: bigint;
}
/** A presence of a vat object with a wake(time) method. */
type Handler = object;
interface Wakeup {
  handler: Handler;
  /** Set when the wakeup belongs to a device-level repeater. */
  index?: number;
}
interface TimerDeviceState {
  lastPolled: bigint;
  repeaters: (Repeater | undefined)[];
  deadlines: Deadline<Wakeup>[];
}

const isBigint = (value: unknown): value is bigint => typeof value === 'bigint';

/** The stored state, checked: it comes back through marshal on every start. */
function parseState(stored: unknown): TimerDeviceState {
  const bad = (why: string): never => {
    throw TypeError(`timer device: stored state is corrupt: ${why}`);
  };
  if (stored === undefined) return { lastPolled: 0n, repeaters: [], deadlines: [] };
  const { lastPolled, repeaters, deadlines } = stored as Partial<TimerDeviceState>;
  if (!isBigint(lastPolled)) bad('lastPolled');
  if (!Array.isArray(repeaters) || !repeaters.every(r => r === undefined || (isBigint(r.startTime) && isBigint(r.interval)))) {
    bad('repeaters');
  }
  if (!Array.isArray(deadlines) || !deadlines.every(d => isBigint(d.time) && Array.isArray(d.handlers))) bad('deadlines');
  return {
    lastPolled: lastPolled as bigint,
    repeaters: [...(repeaters as TimerDeviceState['repeaters'])],
    deadlines: (deadlines as Deadline<Wakeup>[]).map(({ time, handlers }) => ({ time, handlers: [...handlers] })),
  };
}

/** Copies deep enough that hardening the saved state never freezes ours. */
const copyDeadlines = (deadlines: Deadline<Wakeup>[]): Deadline<Wakeup>[] =>
  deadlines.map(({ time, handlers }) => ({ time, handlers: [...handlers] }));

/** The root node vats see (only the timer vat, normally). */
export interface TimerDeviceRoot {
  setWakeup(baseTime: unknown, handler: Handler): bigint;
  removeWakeup(handler: Handler): bigint[];
  getLastPolled(): bigint;
  makeRepeater(startTime: unknown, interval: unknown): number;
  deleteRepeater(index: unknown): unknown;
  schedule(index: unknown, handler: Handler): bigint;
}

export function buildRootDeviceNode(tools: RootDeviceNodeTools): TimerDeviceRoot {
  const { SO, getDeviceState, setDeviceState } = tools;
  const endowments = tools.endowments as Partial<TimerDeviceEndowments> | undefined;
  if (typeof endowments?.registerDevicePollFunction !== 'function') {
    throw TypeError('timer device: endowments must come from buildTimer() (registerDevicePollFunction is missing)');
  }

  const state = parseState(getDeviceState());
  const { repeaters } = state;
  let { lastPolled, deadlines } = state;

  const save = (): void => {
    setDeviceState(harden({ lastPolled, repeaters: [...repeaters], deadlines: copyDeadlines(deadlines) }));
  };

  const insistRepeaterIndex = (index: unknown): number => {
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= repeaters.length) {
      throw RangeError(`timer device: no repeater with index ${String(index)}`);
    }
    return index;
  };
  const repeaterAt = (index: unknown): Repeater => {
    const repeater = repeaters[insistRepeaterIndex(index)];
    if (!repeater) throw RangeError(`timer device: repeater ${index} was deleted`);
    return repeater;
  };

  const poll: DevicePollFunction = now => {
    const time = toNat(now, 'poll(time)');
    if (time < lastPolled) {
      throw RangeError(`timer device: time must not go backwards (poll(${time}) after poll(${lastPolled}))`);
    }
    lastPolled = time;
    const { due, remaining } = dueDeadlines(deadlines, time);
    deadlines = remaining;
    for (const { time: deadline, handlers } of due) {
      for (const wakeup of handlers) {
        SO(wakeup.handler)['wake']?.(deadline);
        // A device-level repeater stays on its grid until it is deleted.
        const repeater = wakeup.index === undefined ? undefined : repeaters[wakeup.index];
        if (repeater) deadlines = insertDeadline(deadlines, nextRepeaterTime(repeater, lastPolled), wakeup);
      }
    }
    save();
    return due.length > 0;
  };
  endowments.registerDevicePollFunction(harden(poll));

  return Far('root', {
    setWakeup(baseTime: unknown, handler: Handler) {
      const time = toNat(baseTime, 'setWakeup(baseTime)');
      deadlines = insertDeadline(deadlines, time, { handler });
      save();
      return time;
    },
    removeWakeup(handler: Handler) {
      const { times, remaining } = removeHandler(deadlines, handler);
      deadlines = remaining;
      save();
      return harden(times);
    },
    getLastPolled() {
      return lastPolled;
    },
    makeRepeater(startTime: unknown, interval: unknown) {
      const repeater = { startTime: toNat(startTime, 'makeRepeater(startTime)'), interval: toNat(interval, 'makeRepeater(interval)') };
      if (repeater.interval === 0n) throw RangeError('timer device: makeRepeater(interval) must be positive');
      repeaters.push(repeater);
      save();
      return repeaters.length - 1;
    },
    deleteRepeater(index: unknown) {
      repeaters[insistRepeaterIndex(index)] = undefined;
      save();
      return index;
    },
    schedule(index: unknown, handler: Handler) {
      const repeater = repeaterAt(index);
      const time = nextRepeaterTime(repeater, lastPolled);
      deadlines = insertDeadline(deadlines, time, { handler, index: index as number });
      save();
      return time;
    },
  });
}
