// A small notifier in the shape of @agoric/notifier's: the holder asks
// `getUpdateSince(updateCount)` and gets the next state, as
// `{ value, updateCount }`, once there is one newer than the count it
// already saw. Meters use it to tell their owner the remaining balance
// dropped below the threshold.
import { Far } from '@endo/far';

export interface UpdateRecord<T> {
  value: T;
  updateCount: bigint;
}

export interface UpdateNotifier<T> {
  getUpdateSince(updateCount?: bigint): Promise<UpdateRecord<T>>;
}

export interface UpdateNotifierKit<T> {
  notifier: UpdateNotifier<T>;
  updater: { updateState(value: T): void };
}

export function makeUpdateNotifierKit<T>(): UpdateNotifierKit<T> {
  let current: UpdateRecord<T> | undefined;
  let waiters: ((record: UpdateRecord<T>) => void)[] = [];

  const notifier: UpdateNotifier<T> = Far('Notifier', {
    getUpdateSince(updateCount?: bigint): Promise<UpdateRecord<T>> {
      if (current && current.updateCount !== updateCount) return Promise.resolve(current);
      return new Promise<UpdateRecord<T>>(resolve => {
        waiters.push(resolve);
      });
    },
  });

  const updater = {
    updateState(value: T): void {
      current = harden({ value, updateCount: (current?.updateCount ?? 0n) + 1n });
      const wake = waiters;
      waiters = [];
      for (const resolve of wake) resolve(current);
    },
  };
  return { notifier, updater };
}
