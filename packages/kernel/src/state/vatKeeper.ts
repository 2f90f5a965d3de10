// Per-vat kernel state: the c-list (two rows per entry:
// `v<N>.c.<kref>` = "R <vref>" or "_ <vref>", and `v<N>.c.<vref>` = kref),
// the import allocators (o-50, p-60, d-70), source and options, vat
// parameters and reap dirt.
import { KernelError } from '../shared/errors.js';
import { insistVatID, makeVref, parseKref, parseVref } from '../shared/refs.js';
import type { CapData, RecordedVatOptions, ReapDirt, ReapDirtThreshold, VatSource } from '../shared/types.js';
import {
  FIRST_VAT_IMPORT_DEVICE_ID,
  FIRST_VAT_IMPORT_OBJECT_ID,
  FIRST_VAT_IMPORT_PROMISE_ID,
  keys,
} from './kvSchema.js';
import { allocateFrom, enumeratePrefixedKeys, getRequired, parseJSON, type KVStore } from './kv.js';
import type { ObjectTable } from './objects.js';
import type { PromiseTable } from './promises.js';
import type { Refcounts } from './refcounts.js';
import type { KernelStats } from './stats.js';

export type CListMode = 'import' | 'export' | 'drop';

/** What every vat keeper needs from the rest of the kernel state. */
export interface VatKeeperPowers {
  kv: KVStore;
  stats: KernelStats;
  refcounts: Refcounts;
  objects: ObjectTable;
  promises: PromiseTable;
  scheduleReap(vatID: string): void;
  getDefaultReapDirtThreshold(): ReapDirtThreshold;
  onCListChange(vatID: string, mode: CListMode, kref: string, vref: string): void;
}

export interface MapVrefOptions {
  /** Mark exports reachable (default true); for imports, insist they are reachable. */
  setReachable?: boolean;
  /** Refuse to allocate a missing entry. */
  required?: boolean;
  /** Insist the entry is new (result promises of non-pipelining vats). */
  requireNew?: boolean;
}

export interface MapKrefOptions {
  setReachable?: boolean;
  required?: boolean;
}

export interface VatKeeper {
  readonly vatID: string;
  getSourceAndOptions(): { source: VatSource; options: RecordedVatOptions };
  setSourceAndOptions(source: VatSource, options: RecordedVatOptions): void;
  getOptions(): RecordedVatOptions;
  setVatParameters(vatParameters: CapData): void;
  getVatParameters(): CapData | undefined;
  addDirt(moreDirt: ReapDirt): void;
  getReapDirt(): ReapDirt;
  clearReapDirt(): void;
  getReapDirtThreshold(): ReapDirtThreshold;
  setReapDirtThreshold(threshold: ReapDirtThreshold): void;
  mapVatSlotToKernelSlot(vref: string, options?: MapVrefOptions): string;
  mapKernelSlotToVatSlot(kref: string, options?: MapKrefOptions): string;
  hasCListEntry(ref: string): boolean;
  importsKernelSlot(kref: string): boolean;
  getReachableFlag(kref: string): boolean;
  setReachableFlag(kref: string): void;
  clearReachableFlag(kref: string): void;
  deleteCListEntry(kref: string, vref: string): void;
  deleteCListEntriesForKernelSlots(krefs: string[]): void;
  /** [kref, vatID, vref] for every c-list entry, vref order. */
  dumpState(): [string, string, string][];
}

export interface ReachableAndVref {
  isReachable: boolean;
  vref: string;
}

export function parseReachableAndVref(value: string | undefined, where: string): ReachableAndVref {
  if (typeof value !== 'string' || value.charAt(1) !== ' ') {
    throw new KernelError('BAD_STATE', `c-list entry ${where} is malformed: ${JSON.stringify(value)}`);
  }
  const flag = value.charAt(0);
  if (flag !== 'R' && flag !== '_') {
    throw new KernelError('BAD_STATE', `c-list entry ${where} has flag ${flag}, not R or _`);
  }
  return { isReachable: flag === 'R', vref: value.slice(2) };
}

export const buildReachableAndVref = (isReachable: boolean, vref: string): string =>
  `${isReachable ? 'R' : '_'} ${vref}`;

/** The state a new vat starts with (the transcript is the warehouse's). */
export function initializeVatState(kv: KVStore, vatID: string, source: VatSource, options: RecordedVatOptions): void {
  kv.set(keys.vatONextID(vatID), `${FIRST_VAT_IMPORT_OBJECT_ID}`);
  kv.set(keys.vatPNextID(vatID), `${FIRST_VAT_IMPORT_PROMISE_ID}`);
  kv.set(keys.vatDNextID(vatID), `${FIRST_VAT_IMPORT_DEVICE_ID}`);
  kv.set(keys.reapDirt(vatID), JSON.stringify({}));
  kv.set(keys.vatSource(vatID), JSON.stringify(source));
  kv.set(keys.vatOptions(vatID), JSON.stringify(options));
}

export function makeVatKeeper(vatID: string, powers: VatKeeperPowers): VatKeeper {
  insistVatID(vatID);
  const { kv, stats, refcounts, objects, promises } = powers;
  const clistKey = (ref: string) => keys.clist(vatID, ref);

  const getOptions = (): RecordedVatOptions => parseJSON<RecordedVatOptions>(kv, keys.vatOptions(vatID));

  function readEntry(kref: string): ReachableAndVref {
    return parseReachableAndVref(kv.get(clistKey(kref)), clistKey(kref));
  }

  function getReachableFlag(kref: string): boolean {
    return readEntry(kref).isReachable;
  }

  function setReachableFlag(kref: string): void {
    const { type } = parseKref(kref);
    const { isReachable, vref } = readEntry(kref);
    if (isReachable) return; // already flagged: no write, no count change
    const { allocatedByVat } = parseVref(vref);
    kv.set(clistKey(kref), buildReachableAndVref(true, vref));
    if (type === 'object' && !allocatedByVat) {
      const { reachable, recognizable } = refcounts.getObjectRefCount(kref);
      refcounts.setObjectRefCount(kref, { reachable: reachable + 1, recognizable });
    }
  }

  function clearReachableFlag(kref: string): void {
    const { type } = parseKref(kref);
    const { isReachable, vref } = readEntry(kref);
    const { allocatedByVat } = parseVref(vref);
    kv.set(clistKey(kref), buildReachableAndVref(false, vref));
    if (isReachable && type === 'object' && !allocatedByVat && objects.kernelObjectExists(kref)) {
      const { reachable, recognizable } = refcounts.getObjectRefCount(kref);
      refcounts.setObjectRefCount(kref, { reachable: reachable - 1, recognizable });
      if (reachable - 1 === 0) refcounts.addMaybeFreeKref(kref);
    }
  }

  function mapVatSlotToKernelSlot(vref: string, options: MapVrefOptions = {}): string {
    const { setReachable = true, required = false, requireNew = false } = options;
    if (typeof vref !== 'string') throw new KernelError('BAD_REF', `non-string vref ${JSON.stringify(vref)}`);
    const { type, allocatedByVat } = parseVref(vref);
    const vrefKey = clistKey(vref);
    if (!kv.has(vrefKey)) {
      if (required) throw new KernelError('ILLEGAL_SYSCALL', `vref ${vref} not in clist of ${vatID}`);
      if (!allocatedByVat) throw new KernelError('ILLEGAL_SYSCALL', `unknown vatSlot "${vref}" in ${vatID}`);
      let kref: string;
      if (type === 'object') {
        kref = objects.addKernelObject(vatID);
      } else if (type === 'promise') {
        kref = promises.addKernelPromiseForVat(vatID);
      } else {
        throw new KernelError('ILLEGAL_SYSCALL', `normal vats aren't allowed to export device nodes (${vatID} ${vref})`);
      }
      refcounts.incrementRefCount(kref, `${vatID}|vk|clist`, { isExport: true, onlyRecognizable: true });
      stats.incStat('clistEntries');
      // Written with its final flag at once (SwingSet writes '_' then 'R');
      // an export's flag never changes refcounts.
      kv.set(clistKey(kref), buildReachableAndVref(setReachable, vref));
      kv.set(vrefKey, kref);
      powers.onCListChange(vatID, 'export', kref, vref);
    } else if (requireNew) {
      throw new KernelError('ILLEGAL_SYSCALL', `vref "${vref}" is already allocated in ${vatID}`);
    }
    const kref = getRequired(kv, vrefKey);
    if (setReachable) {
      if (allocatedByVat) {
        setReachableFlag(kref);
      } else if (!readEntry(kref).isReachable) {
        throw new KernelError('ILLEGAL_SYSCALL', 'vat tried to access unreachable import');
      }
    }
    return kref;
  }

  function mapKernelSlotToVatSlot(kref: string, options: MapKrefOptions = {}): string {
    const { setReachable = true, required = false } = options;
    if (typeof kref !== 'string') throw new KernelError('BAD_REF', 'non-string kernelSlot');
    const krefKey = clistKey(kref);
    if (!kv.has(krefKey)) {
      if (required) throw new KernelError('BAD_STATE', `kref ${kref} not in clist of ${vatID}`);
      const { type } = parseKref(kref);
      const counterKey =
        type === 'object' ? keys.vatONextID(vatID) : type === 'device' ? keys.vatDNextID(vatID) : keys.vatPNextID(vatID);
      const vref = makeVref(type, false, allocateFrom(kv, counterKey));
      // One refcount write for recognizable and (if so) reachable, and the
      // final flag at once: the same outcome as SwingSet's two steps.
      refcounts.incrementRefCount(kref, `${vatID}|kv|clist`, { onlyRecognizable: !setReachable });
      stats.incStat('clistEntries');
      kv.set(clistKey(vref), kref);
      kv.set(krefKey, buildReachableAndVref(setReachable, vref));
      powers.onCListChange(vatID, 'import', kref, vref);
      return vref;
    }
    const { isReachable, vref } = readEntry(kref);
    if (setReachable) {
      if (!parseVref(vref).allocatedByVat) {
        setReachableFlag(kref);
      } else if (!isReachable) {
        throw new KernelError('BAD_STATE', `kernel sent unreachable export ${kref} to ${vatID}`);
      }
    }
    return vref;
  }

  function deleteCListEntry(kref: string, vref: string): void {
    parseKref(kref);
    const { allocatedByVat } = parseVref(vref);
    const krefKey = clistKey(kref);
    if (!kv.has(krefKey)) throw new KernelError('BAD_STATE', `no c-list entry ${krefKey} to delete`);
    powers.onCListChange(vatID, 'drop', kref, vref);
    clearReachableFlag(kref);
    refcounts.decrementRefCount(kref, `${vatID}|del|clist`, { isExport: allocatedByVat, onlyRecognizable: true });
    stats.decStat('clistEntries');
    kv.delete(krefKey);
    kv.delete(clistKey(vref));
  }

  return {
    vatID,
    getSourceAndOptions: () => ({
      source: parseJSON<VatSource>(kv, keys.vatSource(vatID)),
      options: JSON.parse(kv.get(keys.vatOptions(vatID)) ?? '{}') as RecordedVatOptions,
    }),
    setSourceAndOptions(source, options) {
      kv.set(keys.vatSource(vatID), JSON.stringify(source));
      kv.set(keys.vatOptions(vatID), JSON.stringify(options));
    },
    getOptions,
    setVatParameters(vatParameters) {
      const key = keys.vatParameters(vatID);
      for (const kref of vatParameters.slots) refcounts.incrementRefCount(kref, key);
      const old = JSON.parse(kv.get(key) ?? '{"slots":[]}') as CapData;
      for (const kref of old.slots) refcounts.decrementRefCount(kref, key);
      kv.set(key, JSON.stringify(vatParameters));
    },
    getVatParameters() {
      const text = kv.get(keys.vatParameters(vatID));
      return text ? (JSON.parse(text) as CapData) : undefined;
    },
    addDirt(moreDirt) {
      const dirt = parseJSON<Record<string, number>>(kv, keys.reapDirt(vatID));
      const thresholds: ReapDirtThreshold = {
        ...powers.getDefaultReapDirtThreshold(),
        ...getOptions().reapDirtThreshold,
      };
      let reap = false;
      for (const [counter, amount] of Object.entries(moreDirt) as [keyof ReapDirt, number][]) {
        const threshold = thresholds[counter];
        if (threshold && threshold !== 'never') {
          const newDirt = (dirt[counter] ?? 0) + Number(amount);
          dirt[counter] = newDirt;
          if (newDirt >= threshold) reap = true;
        }
      }
      if (!thresholds.never) {
        kv.set(keys.reapDirt(vatID), JSON.stringify(dirt));
        if (reap) powers.scheduleReap(vatID);
      }
    },
    getReapDirt: () => parseJSON<ReapDirt>(kv, keys.reapDirt(vatID)),
    clearReapDirt() {
      kv.set(keys.reapDirt(vatID), JSON.stringify({}));
    },
    getReapDirtThreshold: () => getOptions().reapDirtThreshold,
    setReapDirtThreshold(threshold) {
      kv.set(keys.vatOptions(vatID), JSON.stringify({ ...getOptions(), reapDirtThreshold: threshold }));
    },
    mapVatSlotToKernelSlot,
    mapKernelSlotToVatSlot,
    hasCListEntry: ref => kv.has(clistKey(ref)),
    importsKernelSlot(kref) {
      const data = kv.get(clistKey(kref));
      if (!data) return false;
      return !parseVref(parseReachableAndVref(data, clistKey(kref)).vref).allocatedByVat;
    },
    getReachableFlag,
    setReachableFlag,
    clearReachableFlag,
    deleteCListEntry,
    deleteCListEntriesForKernelSlots(krefs) {
      for (const kref of krefs) deleteCListEntry(kref, mapKernelSlotToVatSlot(kref));
    },
    dumpState() {
      const rows: [string, string, string][] = [];
      for (const { key, suffix } of enumeratePrefixedKeys(kv, keys.clistPrefix(vatID))) {
        if (!suffix.startsWith('k')) rows.push([getRequired(kv, key), vatID, suffix]);
      }
      return rows;
    },
  };
}
