// Normalization and comparison of transcripts from the two sides. What is
// compared is each vat's `d` (delivery) and `sc` (syscalls with results),
// entry by entry, exactly. Only two things are normalized, both because
// they name code the two sides legitimately do not share:
//  - pseudo-deliveries: `initialize-worker` keeps the vat bundle ID and the
//    worker type but not the worker bundle IDs (our lockdown/supervisor
//    bundles are ours); `load-snapshot` drops the snapshot hash (XS heaps
//    of different supervisors differ);
//  - the bootstrap vat's `bootstrap(vats, devices)` delivery: entries for
//    built-in vats/devices the reference has and we lack (vatAdmin, timer)
//    are removed from the reference's copy, and only when their slots are
//    the trailing ones, so no other vref moves. When both sides have the
//    same built-ins (as now, with placeholders) this is a no-op.
import type { TranscriptEntry, VatTranscript } from './transcripts.js';

export interface NormalizedEntry {
  pos: number;
  d: unknown;
  sc: { s: unknown; r: unknown }[];
}

export function normalizeEntry(entry: TranscriptEntry): NormalizedEntry {
  const { pos, d, sc } = entry;
  if (Array.isArray(d) && d[0] === 'initialize-worker') {
    const info = (d[1] ?? {}) as { source?: unknown; workerOptions?: { type?: unknown } };
    return { pos, d: ['initialize-worker', { source: info.source, workerOptions: { type: info.workerOptions?.type } }], sc };
  }
  if (Array.isArray(d) && d[0] === 'load-snapshot') {
    return { pos, d: ['load-snapshot'], sc };
  }
  return { pos, d, sc };
}

interface CapData {
  body: string;
  slots: string[];
}

const SLOT_REF = /^[$&](\d+)(\.|$)/;

/** Slot indices referenced by string leaves of a smallcaps value. */
function slotIndices(value: unknown, out: Set<number>): Set<number> {
  if (typeof value === 'string') {
    const match = SLOT_REF.exec(value);
    if (match) out.add(Number(match[1]));
  } else if (Array.isArray(value)) {
    for (const item of value) slotIndices(item, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) slotIndices(item, out);
  }
  return out;
}

/**
 * Remove `vatNames` from the `vats` record and `deviceNames` from the
 * `devices` record of a `bootstrap` methargs capdata. Throws if a removed
 * slot is not among the trailing ones (the comparison could not be exact).
 */
export function stripBootstrapArgs(methargs: CapData, vatNames: readonly string[], deviceNames: readonly string[]): CapData {
  if (!methargs.body.startsWith('#')) throw Error('bootstrap methargs is not smallcaps');
  const value = JSON.parse(methargs.body.slice(1)) as unknown;
  if (!Array.isArray(value) || value[0] !== 'bootstrap' || !Array.isArray(value[1])) {
    throw Error(`not a bootstrap message: ${methargs.body.slice(0, 80)}`);
  }
  const [vats, devices] = value[1] as [Record<string, unknown>, Record<string, unknown>];
  const removed = new Set<number>();
  const strip = (record: Record<string, unknown>, names: readonly string[]): Record<string, unknown> => {
    const kept: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(record)) {
      if (names.includes(key)) slotIndices(item, removed);
      else kept[key] = item;
    }
    return kept;
  };
  const newArgs = [strip(vats, vatNames), strip(devices ?? {}, deviceNames)];
  const keepCount = methargs.slots.length - removed.size;
  for (const index of removed) {
    if (index < keepCount) {
      throw Error(`built-in entry uses slot ${index}, not a trailing slot; a vat name sorts after a built-in`);
    }
  }
  for (const index of slotIndices(newArgs, new Set())) {
    if (index >= keepCount) throw Error(`remaining bootstrap arg uses removed slot ${index}`);
  }
  return { body: `#${JSON.stringify(['bootstrap', newArgs])}`, slots: methargs.slots.slice(0, keepCount) };
}

const isBootstrapDelivery = (d: unknown): d is ['message', string, { methargs: CapData; result?: unknown }] =>
  Array.isArray(d) &&
  d[0] === 'message' &&
  d[1] === 'o+0' &&
  typeof (d[2] as { methargs?: CapData } | undefined)?.methargs?.body === 'string' &&
  (d[2] as { methargs: CapData }).methargs.body.startsWith('#["bootstrap",');

/** The reference's bootstrap vat transcript with the extra built-ins removed. */
export function stripBuiltinsFromBootstrap(
  entries: readonly NormalizedEntry[],
  vatNames: readonly string[],
  deviceNames: readonly string[],
): NormalizedEntry[] {
  if (vatNames.length === 0 && deviceNames.length === 0) return [...entries];
  return entries.map(entry => {
    if (!isBootstrapDelivery(entry.d)) return entry;
    const [tag, target, msg] = entry.d;
    return { ...entry, d: [tag, target, { ...msg, methargs: stripBootstrapArgs(msg.methargs, vatNames, deviceNames) }] };
  });
}

export interface TranscriptDifference {
  vat: string;
  index: number;
  reason: string;
  ours?: unknown;
  reference?: unknown;
}

const canonical = (value: unknown): string => JSON.stringify(value);

/** The first difference between two vats' normalized transcripts, if any. */
export function firstDifference(
  vat: string,
  ours: readonly NormalizedEntry[],
  reference: readonly NormalizedEntry[],
): TranscriptDifference | undefined {
  const count = Math.max(ours.length, reference.length);
  for (let index = 0; index < count; index += 1) {
    const a = ours[index];
    const b = reference[index];
    if (a === undefined || b === undefined) {
      return {
        vat,
        index,
        reason: `transcript length differs: ours ${ours.length}, reference ${reference.length}`,
        ours: a,
        reference: b,
      };
    }
    if (a.pos !== b.pos) return { vat, index, reason: `position differs`, ours: a.pos, reference: b.pos };
    if (canonical(a.d) !== canonical(b.d)) return { vat, index, reason: `delivery d differs at pos ${a.pos}`, ours: a.d, reference: b.d };
    if (a.sc.length !== b.sc.length) {
      return { vat, index, reason: `syscall count differs at pos ${a.pos} (d=${canonical(a.d).slice(0, 120)})`, ours: a.sc, reference: b.sc };
    }
    for (let i = 0; i < a.sc.length; i += 1) {
      if (canonical(a.sc[i]) !== canonical(b.sc[i])) {
        return {
          vat,
          index,
          reason: `syscall ${i} differs at pos ${a.pos} (d=${canonical(a.d).slice(0, 120)})`,
          ours: a.sc[i],
          reference: b.sc[i],
        };
      }
    }
  }
  return undefined;
}

export interface SideTranscripts {
  builtinVats: string[];
  builtinDevices: string[];
  bootstrapVat: string | undefined;
  vats: Record<string, VatTranscript>;
}

/** Normalize both sides and list the first difference of every vat. */
export function compareSides(ours: SideTranscripts, reference: SideTranscripts): TranscriptDifference[] {
  const stripVats = reference.builtinVats.filter(name => !ours.builtinVats.includes(name));
  const stripDevices = reference.builtinDevices.filter(name => !ours.builtinDevices.includes(name));
  const differences: TranscriptDifference[] = [];
  const names = [...new Set([...Object.keys(ours.vats), ...Object.keys(reference.vats)])].sort();
  for (const vat of names) {
    const a = ours.vats[vat];
    const b = reference.vats[vat];
    if (a === undefined || b === undefined) {
      differences.push({ vat, index: -1, reason: `vat present only in ${a === undefined ? 'reference' : 'ours'}` });
      continue;
    }
    const oursEntries = a.entries.map(normalizeEntry);
    let referenceEntries = b.entries.map(normalizeEntry);
    if (vat === reference.bootstrapVat) {
      referenceEntries = stripBuiltinsFromBootstrap(referenceEntries, stripVats, stripDevices);
    }
    const difference = firstDifference(vat, oursEntries, referenceEntries);
    if (difference !== undefined) differences.push(difference);
  }
  return differences;
}
