// The host half of the timer device, shaped like SwingSet's buildTimer():
// the host puts `srcPath` in its config (`devices.timer.sourceSpec`),
// passes `endowments` as the timer device's endowments, and calls
// `poll(now)` between runs to hand the kernel the current time. Time is
// an input the host chooses (a block time, a block height, a test
// counter); nothing in the kernel reads a clock.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';

/** The device's poll: advances its time, wakes what is due; true if anything woke. */
export type DevicePollFunction = (now: bigint) => boolean;

export interface TimerDeviceEndowments {
  /** Called by the device when it starts, with its poll function. */
  registerDevicePollFunction(poll: DevicePollFunction): void;
}

export interface HostTimer {
  /** Source of the timer device, for `devices.timer.sourceSpec`. */
  srcPath: string;
  /** The timer device's endowments (`deviceEndowments.timer`). */
  endowments: TimerDeviceEndowments;
  /**
   * Tells the device the time is now `time` (a non-negative integer, never
   * less than before). Wakeups that are due become messages on the
   * kernel's queue; returns true if there were any, so the host knows to
   * call `controller.run()`. Commit after the run, as after any input.
   */
  poll(time: number | bigint): boolean;
}

/** The compiled device (vats/timer/device-timer.ts -> dist/vats/timer/device-timer.js). */
export const TIMER_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/timer/device-timer.js', import.meta.url));

const toTime = (time: unknown): bigint => {
  if (typeof time === 'bigint' && time >= 0n) return time;
  if (typeof time === 'number' && Number.isSafeInteger(time) && time >= 0) return BigInt(time);
  throw new KernelError('BAD_ARGUMENT', `timer poll(time): time must be a non-negative integer, got ${String(time)}`);
};

export function buildTimer(): HostTimer {
  let devicePoll: DevicePollFunction | undefined;
  const endowments: TimerDeviceEndowments = {
    registerDevicePollFunction(poll) {
      if (typeof poll !== 'function') throw new KernelError('BAD_ARGUMENT', 'timer device registered a non-function poll');
      devicePoll = poll;
    },
  };
  return {
    srcPath: TIMER_DEVICE_SOURCE,
    endowments,
    poll(time) {
      const now = toTime(time);
      if (!devicePoll) {
        throw new KernelError(
          'LIFECYCLE',
          'timer poll() before the timer device started: configure devices.timer with srcPath and pass endowments as deviceEndowments.timer',
        );
      }
      try {
        return Boolean(devicePoll(now));
      } catch (err) {
        throw new KernelError('BAD_ARGUMENT', `timer device poll(${now}) failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    },
  };
}
