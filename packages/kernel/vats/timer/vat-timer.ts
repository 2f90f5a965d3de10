// The built-in timer vat: a TimerService over the timer device, with the
// API SwingSet's timer vat gives other vats (getCurrentTimestamp,
// setWakeup, wakeAt, delay, makeRepeater, repeatAfter, makeNotifier,
// cancel, getClock, getTimerBrand). Its root has one method,
// createTimerService(timerDevice), which bootstrap calls with the device.
//
// The vat keeps no clock of its own: "now" is the device's lastPolled,
// the latest time the host handed to poll(). Everything that must outlive
// an upgrade is durable (kinds, the schedule, the cancel table, the device
// in baggage); only the resolvers of promises handed out by wakeAt/delay
// live in RAM, because an upgrade rejects those promises anyway.
//
// The vat asks the device for one wakeup at a time, at the earliest
// scheduled event. When it arrives, every due event fires and the next
// wakeup is requested.
//
// Durable kinds every later version must redefine: oneShotEvent,
// promiseEvent, repeaterEvent, timerRepeater, timerNotifier, timerIterator,
// wakeupHandler, timerService, timerClock, timerBrand.
import { E, Far, passStyleOf } from '@endo/far';
import type { TimerDeviceRoot as TimerDeviceNode } from './device-timer.js';
import { measureInterval, toNat } from './timer-math.js';
import { prepareKind, prepareSingleton, provide, type Baggage, type KindContext, type VatData } from '../lib/vatData.js';


interface WeakStore<K, V> {
  has(key: K): boolean;
  get(key: K): V;
  init(key: K, value: V): void;
  set(key: K, value: V): void;
  delete(key: K): void;
}

interface MultiContext<S, F> {
  state: S;
  facets: F;
}
type MultiBehavior<S, F> = Record<PropertyKey, (context: MultiContext<S, F>, ...args: never[]) => unknown>;

/** The parts of liveslots' VatData this vat needs beyond vatData.ts's slice. */
interface TimerVatData extends VatData {
  defineDurableKindMulti<S, A extends unknown[], F>(
    kindHandle: object,
    init: (...args: A) => S,
    facets: Record<string, MultiBehavior<S, F>>,
    options?: { finish?: (context: MultiContext<S, F>) => void },
  ): (...args: A) => F;
  makeScalarBigWeakMapStore<K, V>(label: string, options: { durable: boolean }): WeakStore<K, V>;
}

export interface TimerVatPowers {
  D<T>(node: unknown): T;
  VatData: TimerVatData;
}

export interface TimestampRecord {
  timerBrand: object;
  absValue: bigint;
}
type Time = bigint | number | TimestampRecord;
type RelativeTime = bigint | number | { timerBrand: object; relValue: bigint };

/** Something the schedule holds; fired(now) once its time has come. */
interface TimerEvent {
  scheduleYourself(): void;
  fired(now: bigint): void;
  cancel(): void;
}
interface RepeaterEvent extends TimerEvent {
  wakerDone(): void;
  wakerFailed(err: unknown): void;
}
/** What a cancel token may cancel: events, and notifier cancellers. */
interface Cancellable {
  cancel(): unknown;
}
interface Waker {
  wake(time: TimestampRecord): unknown;
}
interface NotifierRecord {
  value: TimestampRecord;
  updateCount: bigint | undefined;
}
interface TimerNotifier {
  getUpdateSince(updateCount?: bigint): Promise<NotifierRecord>;
}

const passStyle = (value: unknown): string => passStyleOf(value as Parameters<typeof passStyleOf>[0]);

const insistRemotable = (value: unknown, what: string): void => {
  if (passStyle(value) !== 'remotable') throw TypeError(`${what} must be a remotable, got ${passStyle(value)}`);
};

/** The value of a Timestamp or RelativeTime: a bare bigint/number, or a record { timerBrand, [valueKey] }. */
function timeValue(time: unknown, valueKey: 'absValue' | 'relValue', brand: object, what: string): bigint {
  if (typeof time === 'bigint' || typeof time === 'number') return toNat(time, what);
  const keys = passStyle(time) === 'copyRecord' ? Object.keys(time as object).sort() : [];
  if (keys.length !== 2 || keys[0] !== valueKey || keys[1] !== 'timerBrand') {
    throw TypeError(`${what} must be a bigint or a record { timerBrand, ${valueKey} }`);
  }
  const record = time as Record<string, unknown>;
  if (record['timerBrand'] !== brand) throw TypeError(`${what}: TimerBrands must match`);
  return toNat(record[valueKey], what);
}

function makePromiseKit<T>(): { promise: Promise<T>; resolve(value: T): void; reject(reason: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Adds `entry` to the list stored under `key` (creating it). */
function addToList<K, T>(store: WeakStore<K, readonly T[]>, key: K, entry: T): void {
  if (store.has(key)) store.set(key, harden([...store.get(key), entry]));
  else store.init(key, harden([entry]));
}

/** Removes `entry` from the list under `key`, dropping the key once empty; absent keys are ignored. */
function removeFromList<K, T>(store: WeakStore<K, readonly T[]>, key: K, entry: T): void {
  if (!store.has(key)) return;
  const before = store.get(key);
  const after = before.filter(e => e !== entry);
  if (after.length === 0) store.delete(key);
  else if (after.length < before.length) store.set(key, harden(after));
}

const logWakeFailure = (what: string) => (err: unknown) => console.log(`timer: ${what} wake() failed`, err);

export interface TimerVatRoot {
  createTimerService(timerNode: unknown): object;
}

export function buildRootObject(vatPowers: TimerVatPowers, _vatParameters: unknown, baggage: Baggage): TimerVatRoot {
  const { D, VatData: vatData } = vatPowers;

  const prepareKindMulti = <S, A extends unknown[], F>(
    kindName: string,
    init: (...args: A) => S,
    facets: Record<string, MultiBehavior<S, F>>,
    options?: { finish?: (context: MultiContext<S, F>) => void },
  ): ((...args: A) => F) => {
    const kindHandle = provide(baggage, `${kindName}_kindHandle`, () => vatData.makeKindHandle(kindName));
    return vatData.defineDurableKindMulti(kindHandle, init, facets, options);
  };

  let timerDevice: unknown = baggage.has('timerDevice') ? baggage.get('timerDevice') : undefined;
  const device = (): TimerDeviceNode => {
    if (timerDevice === undefined) throw Error('TimerService used before createTimerService()');
    return D<TimerDeviceNode>(timerDevice);
  };

  // upcoming time -> events due then (big map store keys iterate in order)
  const schedule = provide(baggage, 'schedule', () =>
    vatData.makeScalarBigMapStore<bigint, readonly TimerEvent[]>('schedule', { durable: true }),
  );
  // cancel token -> what it cancels
  const cancels = provide(baggage, 'cancels', () =>
    vatData.makeScalarBigWeakMapStore<object, readonly Cancellable[]>('cancels', { durable: true }),
  );
  // promise event -> resolvers of the promise wakeAt/delay returned. The
  // vat's WeakMap knows virtual objects by identity, not representative.
  const pendingPromises = new WeakMap<object, { resolve(ts: TimestampRecord): void; reject(reason: unknown): void }>();

  const getNow = (): bigint => toNat(device().getLastPolled(), 'timer device getLastPolled()');
  // timerBrand is made below; these only run after it exists.
  const toTimestamp = (value: bigint): TimestampRecord => harden({ timerBrand, absValue: value });
  const fromTimestamp = (ts: unknown, what: string): bigint => timeValue(ts, 'absValue', timerBrand, what);
  const fromRelativeTime = (rt: unknown, what: string): bigint => timeValue(rt, 'relValue', timerBrand, what);

  /** Asks the device for one wakeup, at the earliest scheduled time (if any). */
  const rearm = (): void => {
    device().removeWakeup(wakeupHandler);
    for (const [first] of schedule.entries()) {
      device().setWakeup(first, wakeupHandler);
      break;
    }
  };
  const scheduleEvent = (when: bigint, event: TimerEvent): void => {
    addToList(schedule, when, event);
    rearm();
  };
  const unscheduleEvent = (when: bigint, event: TimerEvent): void => {
    removeFromList(schedule, when, event);
    rearm();
  };

  /** The device's wake() arrived: fire everything due, then ask for the next wakeup. */
  const fireDueEvents = (): void => {
    const now = getNow();
    const due: [bigint, readonly TimerEvent[]][] = [];
    for (const [time, events] of schedule.entries()) {
      if (time > now) break;
      due.push([time, events]);
    }
    for (const [time] of due) schedule.delete(time);
    for (const [, events] of due) for (const event of events) event.fired(now);
    rearm();
  };

  const wake = (handler: unknown, now: bigint, what: string): void => {
    E(handler as Waker)
      .wake(toTimestamp(now))
      .catch(logWakeFailure(what));
  };

  // -- one-shot events (setWakeup): wake(now) once, unless cancelled

  interface OneShotState {
    when: bigint;
    handler: object;
    cancelToken: object | undefined;
  }
  const makeOneShotEvent = prepareKind(
    vatData,
    baggage,
    'oneShotEvent',
    (when: bigint, handler: object, cancelToken: object | undefined): OneShotState => ({ when, handler, cancelToken }),
    {
      scheduleYourself({ self, state }: KindContext<OneShotState>) {
        scheduleEvent(state.when, self as TimerEvent);
        if (state.cancelToken) addToList(cancels, state.cancelToken, self as TimerEvent);
      },
      fired({ self, state }: KindContext<OneShotState>, now: bigint) {
        if (state.cancelToken) removeFromList(cancels, state.cancelToken, self as TimerEvent);
        wake(state.handler, now, 'one-shot handler');
      },
      cancel({ self, state }: KindContext<OneShotState>) {
        unscheduleEvent(state.when, self as TimerEvent);
      },
    },
  ) as (when: bigint, handler: object, cancelToken: object | undefined) => TimerEvent;

  // -- promise events (wakeAt, delay, notifiers): settle a promise

  interface PromiseEventState {
    when: bigint;
    cancelToken: object | undefined;
  }
  const settlePending = (event: object) => {
    const pending = pendingPromises.get(event);
    pendingPromises.delete(event);
    return pending;
  };
  const makePromiseEvent = prepareKind(
    vatData,
    baggage,
    'promiseEvent',
    (when: bigint, cancelToken: object | undefined): PromiseEventState => ({ when, cancelToken }),
    {
      scheduleYourself({ self, state }: KindContext<PromiseEventState>) {
        scheduleEvent(state.when, self as TimerEvent);
        if (state.cancelToken) addToList(cancels, state.cancelToken, self as TimerEvent);
      },
      fired({ self, state }: KindContext<PromiseEventState>, now: bigint) {
        if (state.cancelToken) removeFromList(cancels, state.cancelToken, self as TimerEvent);
        // Absent after an upgrade: the upgrade already rejected the promise.
        settlePending(self)?.resolve(toTimestamp(now));
      },
      cancel({ self, state }: KindContext<PromiseEventState>) {
        unscheduleEvent(state.when, self as TimerEvent);
        settlePending(self)?.reject(Error('TimerCancelled'));
      },
    },
  ) as (when: bigint, cancelToken: object | undefined) => TimerEvent;

  /** A promise for the time, once `when` has passed (at once if it already has). */
  const wakeAtInternal = (when: bigint, now: bigint, cancelToken: object | undefined): Promise<TimestampRecord> => {
    if (when <= now) return Promise.resolve(toTimestamp(now));
    if (cancelToken) insistRemotable(cancelToken, 'cancel token');
    const event = makePromiseEvent(when, cancelToken);
    const { promise, resolve, reject } = makePromiseKit<TimestampRecord>();
    pendingPromises.set(event, { resolve, reject });
    event.scheduleYourself();
    return promise;
  };

  // -- repeater events (makeRepeater, repeatAfter): wake on a grid.
  // scheduled (on the schedule) -> firing (wake() outstanding; the next
  // one is scheduled only once it fulfills) -> scheduled ...; or cancelled.

  interface RepeaterEventState {
    start: bigint;
    interval: bigint;
    handler: object;
    scheduled: bigint | undefined;
    cancelled: boolean;
    cancelToken: object | undefined;
  }
  const makeRepeaterEvent = prepareKind(
    vatData,
    baggage,
    'repeaterEvent',
    (start: bigint, interval: bigint, handler: object, cancelToken: object | undefined): RepeaterEventState => ({
      start,
      interval,
      handler,
      scheduled: undefined,
      cancelled: false,
      cancelToken,
    }),
    {
      scheduleYourself({ self, state }: KindContext<RepeaterEventState>) {
        const event = self as RepeaterEvent;
        if (state.cancelToken) addToList(cancels, state.cancelToken, event);
        const now = getNow();
        if (state.start === now) {
          state.scheduled = now;
          event.fired(now);
          return;
        }
        const { next } = measureInterval(state.start, state.interval, now);
        state.scheduled = next.time;
        scheduleEvent(next.time, event);
      },
      fired({ self, state }: KindContext<RepeaterEventState>, now: bigint) {
        const event = self as RepeaterEvent;
        state.scheduled = undefined;
        E(state.handler as Waker)
          .wake(toTimestamp(now))
          .then(
            () => event.wakerDone(),
            err => event.wakerFailed(err),
          )
          .catch(err => console.log('timer: repeater bookkeeping failed', err));
      },
      wakerDone({ self, state }: KindContext<RepeaterEventState>) {
        if (state.cancelled) return;
        const { next } = measureInterval(state.start, state.interval, getNow());
        state.scheduled = next.time;
        scheduleEvent(next.time, self as RepeaterEvent);
      },
      wakerFailed({ self, state }: KindContext<RepeaterEventState>, err: unknown) {
        console.log(`timer: repeater handler wake() failed; repeater stopped (interval ${state.interval})`, err);
        if (state.cancelToken) removeFromList(cancels, state.cancelToken, self as RepeaterEvent);
      },
      cancel({ self, state }: KindContext<RepeaterEventState>) {
        if (state.scheduled !== undefined) {
          unscheduleEvent(state.scheduled, self as RepeaterEvent);
          state.scheduled = undefined;
        }
        state.cancelled = true;
        state.cancelToken = undefined;
      },
    },
  ) as (start: bigint, interval: bigint, handler: object, cancelToken: object | undefined) => RepeaterEvent;

  const repeat = (start: bigint, interval: bigint, handler: unknown, cancelToken: object | undefined): void => {
    if (interval <= 0n) throw RangeError('interval must be positive');
    insistRemotable(handler, 'repeater handler');
    if (cancelToken) insistRemotable(cancelToken, 'cancel token');
    makeRepeaterEvent(start, interval, handler as object, cancelToken).scheduleYourself();
  };

  // -- the public operations

  const getCurrentTimestamp = (): TimestampRecord => toTimestamp(getNow());

  const setWakeup = (whenTS: Time, handler: unknown, cancelToken?: object): TimestampRecord => {
    const when = fromTimestamp(whenTS, 'setWakeup(when)');
    insistRemotable(handler, 'setWakeup() handler');
    if (cancelToken) insistRemotable(cancelToken, 'cancel token');
    const now = getNow();
    if (when <= now) {
      // Already past: wake at once, nothing to schedule or cancel.
      wake(handler, now, 'one-shot handler');
    } else {
      makeOneShotEvent(when, handler as object, cancelToken).scheduleYourself();
    }
    return toTimestamp(when);
  };

  const wakeAt = (whenTS: Time, cancelToken?: object): Promise<TimestampRecord> =>
    wakeAtInternal(fromTimestamp(whenTS, 'wakeAt(when)'), getNow(), cancelToken);

  const delay = (delayRT: RelativeTime, cancelToken?: object): Promise<TimestampRecord> => {
    const relative = fromRelativeTime(delayRT, 'delay(delay)');
    const now = getNow();
    return wakeAtInternal(now + relative, now, cancelToken);
  };

  /** Cancels whatever was registered with the token; unknown or repeated tokens are ignored. */
  const cancel = (cancelToken: unknown): void => {
    if (passStyle(cancelToken) !== 'remotable' || !cancels.has(cancelToken as object)) return;
    const cancelled = cancels.get(cancelToken as object);
    cancels.delete(cancelToken as object);
    for (const thing of cancelled) thing.cancel();
  };

  const repeatAfter = (delayRT: RelativeTime, intervalRT: RelativeTime, handler: unknown, cancelToken?: object): void => {
    const relative = fromRelativeTime(delayRT, 'repeatAfter(delay)');
    const interval = fromRelativeTime(intervalRT, 'repeatAfter(interval)');
    repeat(getNow() + relative, interval, handler, cancelToken);
  };

  // -- Repeater objects (makeRepeater): schedule(handler) once, disable().
  // The empty `cancel` facet is the repeat's cancel token.

  interface RepeaterState {
    start: bigint;
    interval: bigint;
    active: boolean;
  }
  interface RepeaterFacets {
    cancel: object;
    repeater: { schedule(handler: unknown): void; disable(): void };
  }
  const makeRepeaterKit = prepareKindMulti<RepeaterState, [RelativeTime, RelativeTime], RepeaterFacets>(
    'timerRepeater',
    (delayRT, intervalRT) => {
      const relative = fromRelativeTime(delayRT, 'makeRepeater(delay)');
      const interval = fromRelativeTime(intervalRT, 'makeRepeater(interval)');
      if (interval === 0n) throw RangeError('makeRepeater(interval) must be positive');
      return { start: getNow() + relative, interval, active: false };
    },
    {
      cancel: {},
      repeater: {
        schedule({ state, facets }, handler: unknown) {
          insistRemotable(handler, 'repeater.schedule() handler');
          if (state.active) throw Error('repeater already scheduled');
          state.active = true;
          repeat(state.start, state.interval, handler, facets.cancel);
        },
        disable({ state, facets }) {
          if (!state.active) return;
          cancel(facets.cancel);
          state.active = false;
        },
      },
    },
  );

  // -- Notifiers (makeNotifier): a never-ending stream of grid times.
  // Update counts start at 1 for `start`. A cancelled notifier reports the
  // cancellation time with updateCount undefined, forever.

  interface IteratorState {
    notifier: TimerNotifier;
    updateCount: bigint | undefined;
    active: boolean;
  }
  const makeIterator = prepareKind(
    vatData,
    baggage,
    'timerIterator',
    (notifier: TimerNotifier): IteratorState => ({ notifier, updateCount: undefined, active: false }),
    {
      next({ state }: KindContext<IteratorState>) {
        if (state.active) throw Error('timer iterator dislikes overlapping next()');
        state.active = true;
        return state.notifier.getUpdateSince(state.updateCount).then(({ value, updateCount }) => {
          state.active = false;
          state.updateCount = updateCount;
          return harden({ value, done: updateCount === undefined });
        });
      },
    },
  );

  interface NotifierState {
    start: bigint;
    interval: bigint;
    cancelToken: object | undefined;
    final: NotifierRecord | undefined;
  }
  interface NotifierFacets {
    notifier: TimerNotifier;
    canceller: { cancel(): NotifierRecord };
  }
  const makeNotifierKit = prepareKindMulti<NotifierState, [RelativeTime, RelativeTime, object?], NotifierFacets>(
    'timerNotifier',
    (delayRT, intervalRT, cancelToken) => {
      const relative = fromRelativeTime(delayRT, 'makeNotifier(delay)');
      const interval = fromRelativeTime(intervalRT, 'makeNotifier(interval)');
      if (interval === 0n) throw RangeError('makeNotifier(interval) must be positive');
      if (cancelToken) insistRemotable(cancelToken, 'cancel token');
      return { start: getNow() + relative, interval, cancelToken, final: undefined };
    },
    {
      notifier: {
        [Symbol.asyncIterator]({ facets }) {
          return makeIterator(facets.notifier);
        },
        async getUpdateSince({ state, facets }, updateCount: bigint = -1n): Promise<NotifierRecord> {
          const { start, interval, cancelToken, final } = state;
          if (final) return final;
          const now = getNow();
          const { latest, next } = measureInterval(start, interval, now);
          if (latest !== undefined && latest.count !== updateCount) {
            return harden({ value: toTimestamp(latest.time), updateCount: latest.count });
          }
          // Unstarted, or the caller has seen the latest: wait for the next.
          return wakeAtInternal(next.time, now, cancelToken).then(
            firedTS => {
              // Report the grid point at firing time, so value and count agree.
              const firedAt = fromTimestamp(firedTS, 'fired time');
              const point = measureInterval(start, interval, firedAt).latest ?? next;
              return harden({ value: toTimestamp(point.time), updateCount: point.count });
            },
            () => facets.canceller.cancel(),
          );
        },
      },
      canceller: {
        cancel({ state }) {
          state.final ??= harden({ value: toTimestamp(getNow()), updateCount: undefined });
          return state.final;
        },
      },
    },
    {
      finish({ state, facets }) {
        if (state.cancelToken) addToList(cancels, state.cancelToken, facets.canceller);
      },
    },
  );

  // -- the singletons

  const wakeupHandler = prepareSingleton(vatData, baggage, 'wakeupHandler', { wake: fireDueEvents });

  const timerService = prepareSingleton(vatData, baggage, 'timerService', {
    getCurrentTimestamp,
    setWakeup,
    wakeAt,
    delay,
    makeRepeater: (delayRT: RelativeTime, intervalRT: RelativeTime) => makeRepeaterKit(delayRT, intervalRT).repeater,
    repeatAfter,
    makeNotifier: (delayRT: RelativeTime, intervalRT: RelativeTime, cancelToken?: object) =>
      makeNotifierKit(delayRT, intervalRT, cancelToken).notifier,
    cancel,
    getClock: (): object => timerClock,
    getTimerBrand: (): object => timerBrand,
  });

  const timerClock: object = prepareSingleton(vatData, baggage, 'timerClock', {
    getCurrentTimestamp,
    getTimerBrand: (): object => timerBrand,
  });

  const timerBrand: object = prepareSingleton(vatData, baggage, 'timerBrand', {
    isMyTimerService: (alleged: unknown) => alleged === timerService,
    isMyClock: (alleged: unknown) => alleged === timerClock,
  });

  return Far('root', {
    /** Connects the device (again, to replace it) and returns the service. */
    createTimerService(timerNode: unknown) {
      timerDevice = timerNode;
      if (baggage.has('timerDevice')) baggage.set('timerDevice', timerNode);
      else baggage.init('timerDevice', timerNode);
      return timerService;
    },
  });
}
