// Slow cleanup of a terminated vat: a dynamic vat with 10,000 vatstore
// entries (plus snapshots and a transcript) is deleted over many run()
// calls, one budgeted cleanup crank each; no crank does more than the
// budget allows per phase, and afterwards the store holds nothing of it.
import '@endo/init/debug.js';
import test from 'ava';
import { foreverPolicy, noCleanup, type RunPolicy } from '@crankshaft/kernel';
import { initSwingStore } from '@crankshaft/swing-store';
import { buildFixtureController } from './kernel-helpers.js';
import { callBootstrap, countKeys } from './kernel-lifecycle-helpers.js';

type CleanupWork = Parameters<NonNullable<RunPolicy['didCleanup']>>[0]['cleanups'];

const ENTRIES = 10_000;
const BUDGET = 1_000;

/** Allows one cleanup crank of BUDGET per phase, then stops the run. */
function oneCleanupPerRun(work: CleanupWork[]): RunPolicy {
  return {
    ...foreverPolicy(),
    allowCleanup: () => ({ default: BUDGET }),
    didCleanup({ cleanups }) {
      work.push(cleanups);
      return false;
    },
  };
}

test.serial('a terminated vat with 10,000 vatstore entries is deleted in budgeted cranks (xsnap)', async t => {
  const { kernelStorage, hostStorage, internal } = initSwingStore(null);
  const snapshotsOf = (vatID: string) => [...internal.snapStore.listAllSnapshots()].filter(s => s.vatID === vatID);
  const transcriptOf = (vatID: string) => [...internal.transcriptStore.readFullVatTranscript(vatID)];
  const controller = await buildFixtureController('dynamic', 'xsnap', { kernelStorage });
  t.teardown(async () => {
    await controller.shutdown();
    await hostStorage.close();
  });
  const { kvStore } = kernelStorage;
  await controller.run();
  t.deepEqual(await callBootstrap(controller, 'create', ['big', 'counter']), { ok: 'created' });
  const vatID = JSON.parse(kvStore.get('vat.dynamicIDs') as string)[0] as string;
  for (let from = 0; from < ENTRIES; from += ENTRIES / 2) {
    t.deepEqual(await callBootstrap(controller, 'call', ['big', 'fill', [from, from + ENTRIES / 2]]), { ok: ENTRIES / 2 });
  }
  t.true(countKeys(kvStore, `${vatID}.vs.`) > ENTRIES);
  t.true(snapshotsOf(vatID).length > 0, 'the vat has a heap snapshot');
  t.true(transcriptOf(vatID).length > 0);

  // Terminated, but no cleanup allowed yet: the state is all still there.
  await callBootstrap(controller, 'terminate', ['big', 'make room'], noCleanup());
  t.deepEqual(JSON.parse(kvStore.get('vats.terminated') as string), [vatID]);
  t.true(countKeys(kvStore, `${vatID}.`) > ENTRIES);

  const work: CleanupWork[] = [];
  let runs = 0;
  while (kvStore.get('vats.terminated') !== '[]') {
    await controller.run(oneCleanupPerRun(work));
    runs += 1;
    if (runs > 100) throw Error('cleanup never finished');
  }
  t.is(work.length, runs, 'one cleanup crank per run');
  t.true(runs > ENTRIES / BUDGET, `took ${runs} runs`);
  for (const crank of work) {
    for (const phase of ['exports', 'imports', 'promises', 'kv', 'snapshots', 'transcripts'] as const) {
      t.true(crank[phase] <= BUDGET, `${phase} ${crank[phase]} within budget`);
    }
  }
  const kvDeleted = work.reduce((sum, crank) => sum + crank.kv, 0);
  t.true(kvDeleted > ENTRIES);
  t.true(work.reduce((sum, crank) => sum + crank.snapshots, 0) >= 1);
  t.true(work.reduce((sum, crank) => sum + crank.transcripts, 0) >= 1);

  // Nothing of the vat is left: kv, c-lists, snapshots, transcripts.
  t.is(countKeys(kvStore, `${vatID}.`), 0);
  t.deepEqual(snapshotsOf(vatID), []);
  t.deepEqual(transcriptOf(vatID), []);
  t.false(controller.dump().kernelTable.some(([, owner]) => owner === vatID));
  // The rest of the kernel carries on.
  t.deepEqual(await callBootstrap(controller, 'call', ['big', 'get']), { err: 'vat terminated' });
});
