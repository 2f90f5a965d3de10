// GC actions: a sorted JSON list of "<vatID> <type> <koid>" strings under
// `gcActions`. Each GC crank takes the first vat (sorted) with a surviving
// action, in priority dropExport > retireExport > retireImport, delivers
// one event for all its krefs of that type (sorted), and removes every
// action it looked at. Actions made moot by later events are filtered out;
// if all examined actions were moot the crank is a `negated-gc-action`.
import { KernelError } from '../shared/errors.js';
import { insistKrefType, insistVatID } from '../shared/refs.js';
import type { GCDeliveryType, RunQueueEvent } from '../shared/types.js';
import { keys } from './kvSchema.js';
import { parseJSON, type KVStore } from './kv.js';

export type GCActionType = 'dropExport' | 'retireExport' | 'retireImport';

const priorities: readonly GCActionType[] = ['dropExport', 'retireExport', 'retireImport'];
const eventTypes: Record<GCActionType, GCDeliveryType> = {
  dropExport: 'dropExports',
  retireExport: 'retireExports',
  retireImport: 'retireImports',
};

export interface ParsedGCAction {
  vatID: string;
  type: GCActionType;
  kref: string;
}

export function parseGCAction(action: string): ParsedGCAction {
  const [vatID, type, kref] = action.split(' ');
  insistVatID(vatID);
  if (!(priorities as readonly string[]).includes(type ?? '')) {
    throw new KernelError('BAD_STATE', `bad GC action ${JSON.stringify(action)} (type ${String(type)})`);
  }
  insistKrefType('object', kref);
  return { vatID: vatID as string, type: type as GCActionType, kref: kref as string };
}

export interface GCActionStore {
  get(): Set<string>;
  set(actions: Iterable<string>): void;
  add(newActions: Iterable<string>): void;
}

export function makeGCActionStore(kv: KVStore): GCActionStore {
  const get = (): Set<string> => new Set(parseJSON<string[]>(kv, keys.gcActions));
  const set = (actions: Iterable<string>): void => {
    kv.set(keys.gcActions, JSON.stringify([...actions].sort()));
  };
  return {
    get,
    set,
    add(newActions) {
      const additions = [...newActions];
      // SwingSet rewrites the list even when nothing is added; we skip that write.
      if (additions.length === 0) return;
      const actions = get();
      for (const action of additions) {
        parseGCAction(action);
        actions.add(action);
      }
      set(actions);
    },
  };
}

/** What the filter needs to know about one (vat, kref) pair right now. */
export interface GCActionFacts {
  hasCListEntry(vatID: string, kref: string): boolean;
  /** Only called when the c-list entry exists. */
  isReachableInCList(vatID: string, kref: string): boolean;
  objectExists(kref: string): boolean;
  objectRefCount(kref: string): { reachable: number; recognizable: number };
}

/** False when the action is moot (negated by later events, or already done). */
export function shouldProcessAction(facts: GCActionFacts, { vatID, type, kref }: ParsedGCAction): boolean {
  const hasCList = facts.hasCListEntry(vatID, kref);
  const isReachable = hasCList ? facts.isReachableInCList(vatID, kref) : undefined;
  const exists = facts.objectExists(kref);
  const { reachable, recognizable } = exists ? facts.objectRefCount(kref) : { reachable: 0, recognizable: 0 };
  switch (type) {
    case 'dropExport':
      return exists && !reachable && hasCList && !!isReachable;
    case 'retireExport':
      return exists && !reachable && !recognizable && hasCList;
    case 'retireImport':
      return hasCList;
    default:
      return false;
  }
}

/**
 * Picks the next GC event and removes the examined actions from the store.
 * Returns undefined when there are no actions at all.
 */
export function processGCActionSet(store: GCActionStore, facts: GCActionFacts): RunQueueEvent | undefined {
  const all = store.get();
  let updated = false;
  const byVat = new Map<string, Map<GCActionType, string[]>>();
  for (const action of all) {
    const { vatID, type } = parseGCAction(action);
    let forVat = byVat.get(vatID);
    if (!forVat) {
      forVat = new Map();
      byVat.set(vatID, forVat);
    }
    const list = forVat.get(type) ?? [];
    list.push(action);
    forVat.set(type, list);
  }
  for (const vatID of [...byVat.keys()].sort()) {
    const forVat = byVat.get(vatID) as Map<GCActionType, string[]>;
    for (const type of priorities) {
      const actions = forVat.get(type);
      if (!actions) continue;
      const krefs: string[] = [];
      for (const action of actions) {
        const parsed = parseGCAction(action);
        if (shouldProcessAction(facts, parsed)) krefs.push(parsed.kref);
        all.delete(action);
        updated = true;
      }
      if (krefs.length) {
        krefs.sort();
        store.set(all);
        return { type: eventTypes[type], vatID, krefs };
      }
    }
  }
  if (updated) {
    store.set(all);
    return { type: 'negated-gc-action' };
  }
  return undefined;
}
