// The Chrome trace-event format (the JSON object form read by Perfetto and
// chrome://tracing): one complete ("X") event per delivery on its vat's
// track, one per crank on the kernel's track, and name metadata for both.
// Times are the slog's monotonic seconds, in microseconds.
import type { SlogContents } from './slogSummary.js';

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
}

const PID = 1;
const CRANK_TRACK = 0;
const micros = (seconds: number): number => Math.round(seconds * 1e6);

/** A stable track per vat: v7 -> 7 (the kernel's cranks are track 0). */
export function trackOf(vatID: string, others: Map<string, number>): number {
  const n = /^v(\d+)$/.exec(vatID);
  if (n) return Number(n[1]);
  let track = others.get(vatID);
  if (track === undefined) others.set(vatID, (track = 100_000 + others.size));
  return track;
}

export function buildTrace(contents: SlogContents, options: { vatID?: string } = {}): TraceFile {
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: CRANK_TRACK, args: { name: 'crankshaft kernel' } }];
  events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: CRANK_TRACK, args: { name: 'cranks' } });
  const others = new Map<string, number>();
  const named = new Set<string>();
  if (options.vatID === undefined) {
    for (const crank of contents.cranks) {
      if (crank.start === undefined) continue;
      events.push({
        name: `crank ${crank.crankNum} ${crank.messageType}`,
        cat: 'crank',
        ph: 'X',
        ts: micros(crank.start),
        dur: crank.end === undefined ? 0 : Math.max(0, micros(crank.end) - micros(crank.start)),
        pid: PID,
        tid: CRANK_TRACK,
        args: { crankNum: crank.crankNum, crankType: crank.crankType },
      });
    }
  }
  for (const d of contents.deliveries) {
    if (options.vatID !== undefined && d.vatID !== options.vatID) continue;
    const tid = trackOf(d.vatID, others);
    if (!named.has(d.vatID)) {
      named.add(d.vatID);
      const name = contents.vatNames.get(d.vatID);
      events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid, args: { name: name ? `${d.vatID} ${name}` : d.vatID } });
    }
    events.push({
      name: `${d.vatID} ${d.label}`,
      cat: d.replay ? 'replay' : 'delivery',
      ph: 'X',
      ts: micros(d.start ?? 0),
      dur: micros(d.seconds),
      pid: PID,
      tid,
      args: {
        vatID: d.vatID,
        deliveryNum: d.deliveryNum,
        ...(d.crankNum === undefined ? {} : { crankNum: d.crankNum }),
        status: d.status,
        ...(d.computrons === undefined ? {} : { computrons: d.computrons }),
      },
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
