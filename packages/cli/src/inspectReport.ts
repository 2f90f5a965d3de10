// `crankshaft inspect`: the figures of a stored kernel, collected into one
// plain object (what --json prints and the tests compare) and rendered as
// tables.
import type { SnapshotDescription, SpanDescription, SwingStore } from '@crankshaft/swing-store';
import { makeKernelFacts, type KernelFacts, type VatRecord } from './kernelFacts.js';
import { formatBytes, renderTable } from './output.js';

export interface SnapshotFigures {
  snapPos: number;
  hash: string;
  uncompressedSize: number | null;
  compressedSize: number | null;
}

export interface VatFigures {
  vatID: string;
  name: string;
  managerType: string;
  dynamic: boolean;
  status: 'alive' | 'terminated';
  /** Transcript worker state is only known inside a running kernel; a stored vat is offline. */
  online: false;
  incarnation: number | null;
  /** Positions so far (the current span's endPos). */
  transcriptLength: number;
  currentSpanStart: number | null;
  spans: number;
  lastSnapshot: SnapshotFigures | null;
  /** Heap size (bytes) from the last snapshot. */
  heapSize: number | null;
  clistEntries: number;
  vatstoreEntries: number;
}

export interface KernelFigures {
  crankNumber: number;
  activityhash: string | null;
  objects: number;
  promises: number;
  runQueueLength: number;
  acceptanceQueueLength: number;
  gcActions: number;
  reapQueue: number;
  /** Consensus stats (`kernelStats`: queue-length gauges); exported with the state. */
  stats: Record<string, number>;
  /** Node-local stats (`local.kernelStats`): counters that an export does not carry. */
  localStats: Record<string, number>;
}

export interface TableSize {
  table: string;
  bytes: number;
}

export interface InspectReport {
  vats: VatFigures[];
  kernel: KernelFigures;
  store: { fileBytes: number; tables: TableSize[] };
}

export interface VatDetail extends VatFigures {
  bundleID: string;
  options: Record<string, unknown>;
  spanList: SpanDescription[];
  snapshots: SnapshotDescription[];
  clist: { imports: number; exports: number };
  reapDirt: unknown;
}

const queueLength = (text: string | undefined): number => {
  if (text === undefined) return 0;
  const parsed = JSON.parse(text) as unknown;
  return Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'number' ? parsed[1] - parsed[0] : 0;
};
const listLength = (text: string | undefined): number => {
  const parsed = text === undefined ? [] : (JSON.parse(text) as unknown);
  return Array.isArray(parsed) ? parsed.length : 0;
};
const numberRecord = (text: string | undefined): Record<string, number> => {
  const parsed = text === undefined ? {} : (JSON.parse(text) as unknown);
  const out: Record<string, number> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'number') out[key] = value;
  }
  return out;
};

function vatFigures(store: SwingStore, facts: KernelFacts, vat: VatRecord): VatFigures {
  const { transcriptStore, snapStore } = store.internal;
  const spans = transcriptStore.describeVatSpans(vat.vatID);
  const current = spans.find(span => span.isCurrent);
  const snap = snapStore.getSnapshotInfo(vat.vatID);
  const lastSnapshot = snap
    ? { snapPos: snap.snapPos, hash: snap.hash, uncompressedSize: snap.uncompressedSize ?? null, compressedSize: snap.compressedSize ?? null }
    : null;
  return {
    vatID: vat.vatID,
    name: vat.name,
    managerType: vat.managerType,
    dynamic: vat.dynamic,
    status: vat.status,
    online: false,
    incarnation: current?.incarnation ?? null,
    transcriptLength: current?.endPos ?? 0,
    currentSpanStart: current?.startPos ?? null,
    spans: spans.length,
    lastSnapshot,
    heapSize: lastSnapshot?.uncompressedSize ?? null,
    // Each c-list entry is two keys (kref -> vref and vref -> kref); count the kref side.
    clistEntries: facts.countPrefix(`${vat.vatID}.c.k`),
    vatstoreEntries: facts.countPrefix(`${vat.vatID}.vs.`),
  };
}

function tableSizes(store: SwingStore): TableSize[] {
  const db = store.debug.getDatabase();
  const rows = db
    .prepare<[], { name: string; bytes: number }>('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC, name')
    .all();
  return rows.map(row => ({ table: row.name, bytes: row.bytes }));
}

export function collectInspectReport(store: SwingStore): InspectReport {
  const facts = makeKernelFacts(store);
  const vats = facts.vats().map(vat => vatFigures(store, facts, vat));
  const kernel: KernelFigures = {
    crankNumber: Number(facts.get('crankNumber') ?? 0),
    activityhash: facts.get('activityhash') ?? null,
    objects: facts.countPrefixSuffix('ko', '.refCount'),
    promises: facts.countPrefixSuffix('kp', '.state'),
    runQueueLength: queueLength(facts.get('runQueue')),
    acceptanceQueueLength: queueLength(facts.get('acceptanceQueue')),
    gcActions: listLength(facts.get('gcActions')),
    reapQueue: listLength(facts.get('reapQueue')),
    stats: numberRecord(facts.get('kernelStats')),
    localStats: numberRecord(facts.get('local.kernelStats')),
  };
  const tables = tableSizes(store);
  return { vats, kernel, store: { fileBytes: store.hostStorage.diskUsage(), tables } };
}

export function collectVatDetail(store: SwingStore, idOrName: string): VatDetail {
  const facts = makeKernelFacts(store);
  const vat = facts.findVat(idOrName);
  const figures = vatFigures(store, facts, vat);
  return {
    ...figures,
    bundleID: vat.source.bundleID,
    options: vat.options,
    spanList: store.internal.transcriptStore.describeVatSpans(vat.vatID),
    snapshots: store.internal.snapStore.describeVatSnapshots(vat.vatID),
    clist: {
      imports: facts.countPrefix(`${vat.vatID}.c.o-`) + facts.countPrefix(`${vat.vatID}.c.p-`) + facts.countPrefix(`${vat.vatID}.c.d-`),
      exports: facts.countPrefix(`${vat.vatID}.c.o+`) + facts.countPrefix(`${vat.vatID}.c.p+`),
    },
    reapDirt: JSON.parse(facts.get(`${vat.vatID}.reapDirt`) ?? 'null') as unknown,
  };
}

/** One row per stat: a gauge's Up/Down/Max companions go in its row. */
export function statTableRows(stats: Record<string, number>): (string | number)[][] {
  const companion = /^(.*)(Up|Down|Max)$/;
  const names = Object.keys(stats)
    .filter(name => {
      const m = companion.exec(name);
      return !(m && m[1] !== undefined && m[1] in stats);
    })
    .sort();
  return names.map(name => [
    name,
    stats[name] ?? 0,
    ...(['Up', 'Down', 'Max'] as const).map(suffix => {
      const value = stats[`${name}${suffix}`];
      return value === undefined ? '' : value;
    }),
  ]);
}

const orDash = (value: number | string | null | undefined): string | number => (value === null || value === undefined ? '-' : value);
const short = (hash: string): string => `${hash.slice(0, 12)}…`;

export function renderInspectReport(report: InspectReport): string {
  const vatRows = report.vats.map(v => [
    v.vatID,
    v.name,
    v.managerType,
    orDash(v.incarnation),
    v.status,
    v.transcriptLength,
    orDash(v.currentSpanStart),
    v.lastSnapshot ? `@${v.lastSnapshot.snapPos} ${short(v.lastSnapshot.hash)}` : '-',
    v.heapSize === null ? '-' : formatBytes(v.heapSize),
    v.lastSnapshot?.compressedSize == null ? '-' : formatBytes(v.lastSnapshot.compressedSize),
    v.clistEntries,
    v.vatstoreEntries,
  ]);
  const k = report.kernel;
  const kernelRows: (string | number)[][] = [
    ['cranks', k.crankNumber],
    ['activity hash', k.activityhash ?? '-'],
    ['kernel objects', k.objects],
    ['kernel promises', k.promises],
    ['run queue', k.runQueueLength],
    ['acceptance queue', k.acceptanceQueueLength],
    ['gc actions', k.gcActions],
    ['reap queue', k.reapQueue],
  ];
  const statRows = statTableRows({ ...k.stats, ...k.localStats });
  const tableRows = report.store.tables.map(t => [t.table, formatBytes(t.bytes)]);
  return [
    'Vats',
    renderTable(
      ['vat', 'name', 'manager', 'incarnation', 'status', 'transcript', 'span start', 'last snapshot', 'heap', 'compressed', 'c-list', 'vatstore'],
      vatRows,
    ),
    'Kernel',
    renderTable(['figure', 'value'], kernelRows),
    'Stats (gauges with their up, down and max counts)',
    renderTable(['stat', 'value', 'up', 'down', 'max'], statRows),
    `Store (${formatBytes(report.store.fileBytes)} file)`,
    renderTable(['table or index', 'size'], tableRows),
  ].join('\n');
}

export function renderVatDetail(detail: VatDetail): string {
  const rows: (string | number)[][] = [
    ['vat', `${detail.vatID} (${detail.name})`],
    ['manager', detail.managerType],
    ['status', `${detail.status}${detail.dynamic ? ', dynamic' : ', static'}`],
    ['bundle', detail.bundleID],
    ['incarnation', orDash(detail.incarnation)],
    ['transcript length', detail.transcriptLength],
    ['current span start', orDash(detail.currentSpanStart)],
    ['heap (last snapshot)', detail.heapSize === null ? '-' : formatBytes(detail.heapSize)],
    ['c-list entries', `${detail.clistEntries} (${detail.clist.imports} imports, ${detail.clist.exports} exports)`],
    ['vatstore entries', detail.vatstoreEntries],
    ['reap dirt', JSON.stringify(detail.reapDirt)],
  ];
  const spanRows = detail.spanList.map(s => [
    `[${s.startPos}, ${s.endPos})`,
    s.incarnation,
    s.isCurrent ? 'current' : 'historical',
    s.storedItems === s.endPos - s.startPos ? 'all' : `${s.storedItems} of ${s.endPos - s.startPos}`,
    short(s.hash),
  ]);
  const snapRows = detail.snapshots.map(s => [
    s.snapPos,
    short(s.hash),
    s.inUse ? 'in use' : 'historical',
    s.kept ? 'kept' : 'pruned',
    s.uncompressedSize === undefined ? '-' : formatBytes(s.uncompressedSize),
    s.compressedSize === undefined ? '-' : formatBytes(s.compressedSize),
  ]);
  return [
    renderTable(['figure', 'value'], rows),
    'Spans',
    renderTable(['positions', 'incarnation', 'kind', 'items stored', 'hash'], spanRows),
    'Snapshots',
    snapRows.length > 0 ? renderTable(['snapPos', 'hash', 'kind', 'blob', 'heap', 'compressed'], snapRows) : '(none)',
  ].join('\n');
}
