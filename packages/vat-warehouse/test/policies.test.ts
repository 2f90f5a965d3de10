import test from 'ava';
import { makeRecencyList } from '../src/lru.js';
import { addReapDirt, mergeReapThresholds, defaultReapDirtThreshold } from '../src/reapDirt.js';
import { isSnapshotDue, makeSnapshotPolicy } from '../src/snapshotPolicy.js';

test('snapshot policy: defaults and validation', t => {
  t.deepEqual(makeSnapshotPolicy(), { snapshotInitial: 3, snapshotInterval: 200 });
  t.throws(() => makeSnapshotPolicy({ snapshotInterval: 0 }), { message: /snapshotInterval must be a positive integer/ });
  t.throws(() => makeSnapshotPolicy({ snapshotInitial: 1.5 }), { message: /snapshotInitial/ });
});

test('snapshot policy: initial threshold, then the interval', t => {
  const policy = makeSnapshotPolicy({ snapshotInitial: 3, snapshotInterval: 7 });
  t.false(isSnapshotDue({ hasSnapshot: false, spanEntries: 2 }, policy));
  t.true(isSnapshotDue({ hasSnapshot: false, spanEntries: 3 }, policy));
  t.false(isSnapshotDue({ hasSnapshot: true, spanEntries: 6 }, policy));
  t.true(isSnapshotDue({ hasSnapshot: true, spanEntries: 7 }, policy));
  // snapshotAllVats asks with a small minimum.
  t.true(isSnapshotDue({ hasSnapshot: true, spanEntries: 2 }, policy, 2));
  t.false(isSnapshotDue({ hasSnapshot: true, spanEntries: 1 }, policy, 2));
});

test('recency list evicts the least recently used', t => {
  const lru = makeRecencyList(2);
  t.deepEqual(lru.touch('v1'), []);
  t.deepEqual(lru.touch('v2'), []);
  t.deepEqual(lru.touch('v1'), []);
  t.deepEqual(lru.touch('v3'), ['v2']);
  t.deepEqual(lru.keys(), ['v1', 'v3']);
  lru.remove('v1');
  t.false(lru.has('v1'));
  t.is(lru.size, 1);
  t.throws(() => makeRecencyList(0), { instanceOf: RangeError });
});

test('reap dirt: thresholds, never, and missing counters', t => {
  const threshold = mergeReapThresholds(defaultReapDirtThreshold, { deliveries: 3 });
  let state = addReapDirt({}, { deliveries: 1, computrons: 500 }, threshold);
  t.deepEqual(state, { dirt: { deliveries: 1 }, reapDue: false });
  state = addReapDirt(state.dirt, { deliveries: 1, gcKrefs: 19 }, threshold);
  t.deepEqual(state, { dirt: { deliveries: 2, gcKrefs: 19 }, reapDue: false });
  state = addReapDirt(state.dirt, { gcKrefs: 1 }, threshold);
  t.true(state.reapDue);
  t.deepEqual(addReapDirt({}, { deliveries: 5 }, { ...threshold, never: true }), { dirt: {}, reapDue: false });
  t.true(addReapDirt({}, { deliveries: 1 }, defaultReapDirtThreshold).reapDue);
});
