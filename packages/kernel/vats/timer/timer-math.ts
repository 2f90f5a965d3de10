// Pure helpers shared by the timer device and the timer vat (each bundles
// its own copy). Times are non-negative bigints; nothing here reads a clock.
// Unit tests: test/timerMath.test.ts.

/** A point on a repeater's grid; counts are 1-based (start is count 1). */
export interface GridPoint {
  time: bigint;
  count: bigint;
}

/** All the wakeups due at one time, in the order they were asked for. */
export interface Deadline<H> {
  time: bigint;
  handlers: H[];
}

/** A non-negative bigint from a bigint or a safe non-negative integer; `what` names the argument in the error. */
export function toNat(value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n) return value;
  const shown = typeof value === 'bigint' || typeof value === 'number' ? String(value) : typeof value;
  throw RangeError(`${what} must be a non-negative integer, got ${shown}`);
}

/**
 * Where `now` sits on the grid start, start+interval, start+2*interval...:
 * `latest` is the last grid point at or before now (absent before start)
 * and `next` the first one after now. Exact bigint arithmetic throughout.
 */
export function measureInterval(start: bigint, interval: bigint, now: bigint): { latest?: GridPoint; next: GridPoint } {
  if (interval <= 0n) throw RangeError(`interval must be positive, got ${interval}`);
  if (now < start) return { next: { time: start, count: 1n } };
  const steps = (now - start) / interval; // whole intervals since start
  const latest = { time: start + steps * interval, count: steps + 1n };
  return { latest, next: { time: latest.time + interval, count: latest.count + 1n } };
}

/** The first grid point of a repeater strictly after `after` (its start, if that is later). */
export function nextRepeaterTime(repeater: { startTime: bigint; interval: bigint }, after: bigint): bigint {
  return measureInterval(repeater.startTime, repeater.interval, after).next.time;
}

/**
 * A copy of the sorted deadline list (one entry per time) with `entry`
 * added at `time`, after any entries already there.
 */
export function insertDeadline<H>(deadlines: readonly Deadline<H>[], time: bigint, entry: H): Deadline<H>[] {
  const at = deadlines.findIndex(d => d.time >= time);
  if (at === -1) return [...deadlines, { time, handlers: [entry] }];
  const found = deadlines[at] as Deadline<H>;
  if (found.time === time) {
    return [...deadlines.slice(0, at), { time, handlers: [...found.handlers, entry] }, ...deadlines.slice(at + 1)];
  }
  return [...deadlines.slice(0, at), { time, handlers: [entry] }, ...deadlines.slice(at)];
}

/** Splits the sorted list at `now`: `due` holds every deadline at or before now, in time order. */
export function dueDeadlines<H>(
  deadlines: readonly Deadline<H>[],
  now: bigint,
): { due: Deadline<H>[]; remaining: Deadline<H>[] } {
  const cut = deadlines.findIndex(d => d.time > now);
  const at = cut === -1 ? deadlines.length : cut;
  return { due: deadlines.slice(0, at), remaining: deadlines.slice(at) };
}

/**
 * Removes every entry whose `handler` is `handler` (by identity). Returns
 * the times they were scheduled for (one per removed entry, so possibly
 * repeated) and the list without them.
 */
export function removeHandler<H extends { handler: unknown }>(
  deadlines: readonly Deadline<H>[],
  handler: unknown,
): { times: bigint[]; remaining: Deadline<H>[] } {
  const times: bigint[] = [];
  const remaining: Deadline<H>[] = [];
  for (const { time, handlers } of deadlines) {
    const kept = handlers.filter(entry => entry.handler !== handler);
    for (let i = kept.length; i < handlers.length; i += 1) times.push(time);
    if (kept.length > 0) remaining.push({ time, handlers: kept });
  }
  return { times, remaining };
}
