import test from 'ava';
import { processGCActionSet, shouldProcessAction, type GCActionFacts, type GCActionStore } from '../src/state/gcActions.js';

function memoryStore(initial: string[]): GCActionStore & { current: () => string[] } {
  let actions = new Set(initial);
  return {
    get: () => new Set(actions),
    set: next => {
      actions = new Set([...next].sort());
    },
    add: more => {
      for (const a of more) actions.add(a);
    },
    current: () => [...actions].sort(),
  };
}

/** Facts where every object exists, is unreachable, and every vat has an 'R' c-list entry. */
function facts(overrides: Partial<GCActionFacts> = {}): GCActionFacts {
  return {
    hasCListEntry: () => true,
    isReachableInCList: () => true,
    objectExists: () => true,
    objectRefCount: () => ({ reachable: 0, recognizable: 0 }),
    ...overrides,
  };
}

test('one event per crank: lowest vat first, drop before retire before retireImport', t => {
  const store = memoryStore([
    'v2 retireImport ko30',
    'v2 dropExport ko25',
    'v1 retireExport ko21',
    'v1 dropExport ko21',
    'v1 dropExport ko100',
  ]);
  // krefs are sorted as strings, as SwingSet sorts them
  t.deepEqual(processGCActionSet(store, facts()), { type: 'dropExports', vatID: 'v1', krefs: ['ko100', 'ko21'] });
  t.deepEqual(store.current(), ['v1 retireExport ko21', 'v2 dropExport ko25', 'v2 retireImport ko30']);
  t.deepEqual(processGCActionSet(store, facts()), { type: 'retireExports', vatID: 'v1', krefs: ['ko21'] });
  t.deepEqual(processGCActionSet(store, facts()), { type: 'dropExports', vatID: 'v2', krefs: ['ko25'] });
  t.deepEqual(processGCActionSet(store, facts()), { type: 'retireImports', vatID: 'v2', krefs: ['ko30'] });
  t.is(processGCActionSet(store, facts()), undefined);
});

test('vat IDs sort as strings (v10 before v2)', t => {
  const store = memoryStore(['v2 dropExport ko1', 'v10 dropExport ko2']);
  t.like(processGCActionSet(store, facts()), { vatID: 'v10' });
});

test('moot actions are filtered, and an all-moot group is a negated-gc-action', t => {
  // reachable again (a re-import happened): the dropExport is negated
  const reachableAgain = facts({ objectRefCount: () => ({ reachable: 1, recognizable: 1 }) });
  const store = memoryStore(['v1 dropExport ko21']);
  t.deepEqual(processGCActionSet(store, reachableAgain), { type: 'negated-gc-action' });
  t.deepEqual(store.current(), []);

  // the first group is moot, so the next vat's surviving action is taken
  // and the moot one is removed as well
  const store2 = memoryStore(['v1 retireImport ko21', 'v2 retireImport ko22']);
  const noEntryInV1 = facts({ hasCListEntry: vatID => vatID !== 'v1' });
  t.deepEqual(processGCActionSet(store2, noEntryInV1), { type: 'retireImports', vatID: 'v2', krefs: ['ko22'] });
  t.deepEqual(store2.current(), []);
});

test('shouldProcessAction follows the reference filter rules', t => {
  const action = (type: 'dropExport' | 'retireExport' | 'retireImport') => ({ vatID: 'v1', type, kref: 'ko1' });
  t.true(shouldProcessAction(facts(), action('dropExport')));
  t.false(shouldProcessAction(facts({ isReachableInCList: () => false }), action('dropExport')), 'already dropped');
  t.false(shouldProcessAction(facts({ objectExists: () => false }), action('dropExport')));
  t.true(shouldProcessAction(facts(), action('retireExport')));
  t.false(
    shouldProcessAction(facts({ objectRefCount: () => ({ reachable: 0, recognizable: 1 }) }), action('retireExport')),
    'recognizable again',
  );
  t.false(shouldProcessAction(facts({ hasCListEntry: () => false }), action('retireImport')));
  t.true(shouldProcessAction(facts({ objectExists: () => false }), action('retireImport')));
});
