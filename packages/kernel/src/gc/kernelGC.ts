// Kernel-side garbage collection: retiring and orphaning kernel objects,
// finding importers, and processRefcounts(), which runs at the end of
// every crank over the krefs whose counts may have dropped to zero.
import { parseKref } from '../shared/refs.js';
import { keys } from '../state/kvSchema.js';
import type { KernelKeeper } from '../state/kernelKeeper.js';
import { parseReachableAndVref } from '../state/vatKeeper.js';

export interface KernelGC {
  /** Sorted vatIDs whose c-lists import the object. */
  getImporters(koid: string): string[];
  /** Queues retireImport for every importer, then deletes each object. */
  retireKernelObjects(koids: string[]): void;
  /** Drops the owner and the owner's c-list rows; the object lives on until unreferenced. */
  orphanKernelObject(kref: string, oldVat: string): void;
  /** End-of-crank refcount processing; returns krefs that were already gone. */
  processRefcounts(): { lostObjects: string[] };
}

export function makeKernelGC(keeper: KernelKeeper): KernelGC {
  const { kv, objects, promises, refcounts, vats, gcActions } = keeper;

  function getImporters(koid: string): string[] {
    const doesImport = (vatID: string): boolean => keeper.provideVatKeeper(vatID).importsKernelSlot(koid);
    const importers = [
      ...vats.getDynamicVats().filter(doesImport),
      ...vats
        .getStaticVats()
        .map(([, vatID]) => vatID)
        .filter(doesImport),
    ];
    return importers.sort();
  }

  function retireKernelObjects(koids: string[]): void {
    const newActions: string[] = [];
    for (const koid of koids) {
      for (const vatID of getImporters(koid)) newActions.push(`${vatID} retireImport ${koid}`);
      objects.deleteKernelObject(koid);
    }
    gcActions.add(newActions);
  }

  function orphanKernelObject(kref: string, oldVat: string): void {
    const ownerKey = keys.owner(kref);
    const owner = kv.get(ownerKey);
    if (owner !== oldVat) throw new Error(`export ${kref} not owned by old vat ${oldVat}`);
    kv.delete(ownerKey);
    const entryKey = keys.clist(oldVat, kref);
    const { vref } = parseReachableAndVref(kv.get(entryKey), entryKey);
    kv.delete(entryKey);
    kv.delete(keys.clist(oldVat, vref));
    refcounts.addMaybeFreeKref(kref);
  }

  function processRefcounts(): { lostObjects: string[] } {
    const lostObjects: string[] = [];
    const actions = new Set<string>();
    // Set iteration visits krefs added while we iterate (a promise's data
    // may free more objects); that is intended.
    for (const kref of refcounts.maybeFree) {
      const { type } = parseKref(kref);
      if (type === 'promise') {
        if (!promises.hasKernelPromise(kref)) {
          lostObjects.push(kref);
          continue;
        }
        const kp = promises.getKernelPromise(kref);
        if (kp.refCount === 0) {
          if (kp.state !== 'unresolved') {
            kp.data.slots.forEach((slot, idx) => refcounts.decrementRefCount(slot, `gc|${kref}|s${idx}`));
          }
          promises.deleteKernelPromise(kref);
        }
      }
      if (type === 'object') {
        const { reachable, recognizable } = refcounts.getObjectRefCount(kref);
        if (reachable !== 0) continue;
        // Not ownerOfKernelObject(): a terminated owner still matters here.
        const ownerKey = keys.owner(kref);
        let ownerVatID = kv.get(ownerKey) || undefined;
        if (!ownerVatID) lostObjects.push(kref);
        const terminated = ownerVatID !== undefined && vats.isTerminated(ownerVatID);
        if (ownerVatID && !terminated) {
          const ownerKeeper = keeper.provideVatKeeper(ownerVatID);
          if (ownerKeeper.getReachableFlag(kref)) actions.add(`${ownerVatID} dropExport ${kref}`);
          if (recognizable === 0) actions.add(`${ownerVatID} retireExport ${kref}`);
        } else if (ownerVatID && terminated) {
          // Never send GC into a dead vat: do the abandonment slow
          // deletion would have done, then treat the object as orphaned.
          const entryKey = keys.clist(ownerVatID, kref);
          const { vref } = parseReachableAndVref(kv.get(entryKey), entryKey);
          kv.delete(ownerKey);
          kv.delete(entryKey);
          kv.delete(keys.clist(ownerVatID, vref));
          ownerVatID = undefined;
        }
        // Deliberately not an `else`: the terminated case falls through.
        if (!ownerVatID) {
          if (recognizable) {
            retireKernelObjects([kref]);
          } else {
            objects.deleteKernelObject(kref);
          }
        }
      }
    }
    gcActions.add(actions);
    refcounts.clearMaybeFree();
    return { lostObjects };
  }

  return { getImporters, retireKernelObjects, orphanKernelObject, processRefcounts };
}
