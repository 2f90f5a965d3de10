// Reading a slog (JSON lines, docs/host-api.md#slog) into delivery records,
// and summarizing them: deliveries, time and computrons per vat and per
// method, and the slowest deliveries. Pure functions over parsed records.
import { deliveryLabel } from './deliveryText.js';

export interface SlogRecordLike {
  type: string;
  [field: string]: unknown;
}

/** One delivery: its `deliver` record joined with its `deliver-result`. */
export interface DeliveryRecord {
  vatID: string;
  deliveryNum: number;
  crankNum?: number;
  replay: boolean;
  label: string;
  /** Monotonic seconds at the start (the `deliver` record's monotime). */
  start?: number;
  seconds: number;
  computrons?: number;
  status: string;
}

export interface CrankRecord {
  crankNum: number;
  crankType: string;
  messageType: string;
  start?: number;
  end?: number;
}

export interface SlogContents {
  deliveries: DeliveryRecord[];
  cranks: CrankRecord[];
  vatNames: Map<string, string>;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

/** Joins deliver/deliver-result pairs and crank-start/crank-finish pairs, in slog order. */
export function collectSlog(records: Iterable<SlogRecordLike>): SlogContents {
  const deliveries: DeliveryRecord[] = [];
  const open = new Map<string, DeliveryRecord>();
  const cranks: CrankRecord[] = [];
  const openCranks = new Map<number, CrankRecord>();
  const vatNames = new Map<string, string>();
  const keyOf = (r: SlogRecordLike): string => `${String(r['vatID'])}/${String(r['deliveryNum'])}/${r['replay'] === true ? 'r' : 'l'}`;
  for (const record of records) {
    switch (record.type) {
      case 'create-vat': {
        const vatID = str(record['vatID']);
        const name = str(record['name']);
        if (vatID && name) vatNames.set(vatID, name);
        break;
      }
      case 'deliver': {
        const vatID = str(record['vatID']);
        const deliveryNum = num(record['deliveryNum']);
        if (vatID === undefined || deliveryNum === undefined) break;
        const crankNum = num(record['crankNum']);
        const start = num(record['monotime']);
        const delivery: DeliveryRecord = {
          vatID,
          deliveryNum,
          ...(crankNum === undefined ? {} : { crankNum }),
          replay: record['replay'] === true,
          label: deliveryLabel(record['vd']),
          ...(start === undefined ? {} : { start }),
          seconds: 0,
          status: 'unfinished',
        };
        deliveries.push(delivery);
        open.set(keyOf(record), delivery);
        break;
      }
      case 'deliver-result': {
        const delivery = open.get(keyOf(record));
        if (!delivery) break;
        open.delete(keyOf(record));
        delivery.seconds = num(record['seconds']) ?? 0;
        const dr = Array.isArray(record['dr']) ? (record['dr'] as unknown[]) : [];
        delivery.status = str(dr[0]) ?? 'unknown';
        const computrons = num((dr[2] as { compute?: unknown } | null | undefined)?.compute);
        if (computrons !== undefined) delivery.computrons = computrons;
        break;
      }
      case 'crank-start': {
        const crankNum = num(record['crankNum']);
        if (crankNum === undefined) break;
        const start = num(record['monotime']);
        const crank: CrankRecord = {
          crankNum,
          crankType: str(record['crankType']) ?? 'unknown',
          messageType: str(record['messageType']) ?? 'unknown',
          ...(start === undefined ? {} : { start }),
        };
        cranks.push(crank);
        openCranks.set(crankNum, crank);
        break;
      }
      case 'crank-finish': {
        const crankNum = num(record['crankNum']);
        const crank = crankNum === undefined ? undefined : openCranks.get(crankNum);
        if (!crank || crankNum === undefined) break;
        openCranks.delete(crankNum);
        const end = num(record['monotime']);
        if (end !== undefined) crank.end = end;
        break;
      }
      default:
        break;
    }
  }
  return { deliveries, cranks, vatNames };
}

export interface GroupFigures {
  deliveries: number;
  seconds: number;
  computrons: number;
}

export interface SlogSummary {
  totals: GroupFigures & { cranks: number; replayedDeliveries: number };
  perVat: (GroupFigures & { vatID: string; name: string })[];
  perMethod: (GroupFigures & { vatID: string; method: string; meanSeconds: number })[];
  slowest: DeliveryRecord[];
}

const emptyFigures = (): GroupFigures => ({ deliveries: 0, seconds: 0, computrons: 0 });
const add = (figures: GroupFigures, d: DeliveryRecord): void => {
  figures.deliveries += 1;
  figures.seconds += d.seconds;
  figures.computrons += d.computrons ?? 0;
};
const byVatID = (a: string, b: string): number => {
  const na = Number(a.slice(1));
  const nb = Number(b.slice(1));
  return na !== nb && Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
};

/** Live deliveries only (replays are counted apart), optionally of one vat. */
export function summarizeSlog(contents: SlogContents, options: { vatID?: string; slowest?: number } = {}): SlogSummary {
  const { vatID, slowest = 10 } = options;
  const all = contents.deliveries.filter(d => vatID === undefined || d.vatID === vatID);
  const live = all.filter(d => !d.replay);
  const totals = { ...emptyFigures(), cranks: contents.cranks.length, replayedDeliveries: all.length - live.length };
  const perVat = new Map<string, GroupFigures>();
  const perMethod = new Map<string, GroupFigures & { vatID: string; method: string }>();
  for (const d of live) {
    add(totals, d);
    let vat = perVat.get(d.vatID);
    if (!vat) perVat.set(d.vatID, (vat = emptyFigures()));
    add(vat, d);
    const key = `${d.vatID} ${d.label}`;
    let method = perMethod.get(key);
    if (!method) perMethod.set(key, (method = { ...emptyFigures(), vatID: d.vatID, method: d.label }));
    add(method, d);
  }
  return {
    totals,
    perVat: [...perVat.entries()]
      .sort(([a], [b]) => byVatID(a, b))
      .map(([id, figures]) => ({ vatID: id, name: contents.vatNames.get(id) ?? id, ...figures })),
    perMethod: [...perMethod.values()]
      .sort((a, b) => byVatID(a.vatID, b.vatID) || b.seconds - a.seconds || (a.method < b.method ? -1 : 1))
      .map(m => ({ ...m, meanSeconds: m.deliveries > 0 ? m.seconds / m.deliveries : 0 })),
    slowest: [...live].sort((a, b) => b.seconds - a.seconds || a.deliveryNum - b.deliveryNum).slice(0, slowest),
  };
}
