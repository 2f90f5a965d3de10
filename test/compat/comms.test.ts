// comms + vattp + mailbox between two Crankshaft kernels, driven the way a
// SwingSet host drives them: each machine has a mailbox device whose state
// the host reads after a run and hands to the other machine's
// deliverInbound. Also: the loopbox (two comms vats in one kernel) and a
// fresh comms initialize giving the same activity hash every time.
import '@endo/init/debug.js';
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSwingStore, type KernelStorage } from '@crankshaft/swing-store';
import { fileURLToPath } from 'node:url';
import {
  buildLoopbox,
  buildMailbox,
  buildMailboxStateMap,
  buildVatController,
  exportMailboxData,
  kunser,
  loadSwingsetConfigFile,
  makeEphemeralMailboxStorage,
  PLACEHOLDER_SOURCES,
  type MailboxData,
  type PeerMailbox,
  type SwingSetConfig,
  type SwingsetController,
} from '@crankshaft/kernel';

const fixtures = fileURLToPath(new URL('../../fixtures/compat/comms/', import.meta.url));
const quiet = { quiet: true, vatConsole: () => {}, xsnapOutput: 'ignore' as const };

interface Machine {
  name: string;
  c: SwingsetController;
  state: Map<string, PeerMailbox>;
  deliverInbound(peer: string, messages: readonly (readonly [unknown, unknown])[], ack: unknown): boolean;
  /** The outbox/ack last handed to the peer, so unchanged state is not resent. */
  lastHanded: string;
}

async function loadConfig(file: string): Promise<SwingSetConfig> {
  const config = await loadSwingsetConfigFile(path.join(fixtures, file));
  if (!config) throw Error(`no config ${file}`);
  return config;
}

async function makeMachine(
  name: string,
  file: string,
  restore: { kernelStorage?: KernelStorage; mailboxData?: MailboxData } = {},
): Promise<Machine> {
  const state = makeEphemeralMailboxStorage(restore.mailboxData ?? {});
  const mailbox = buildMailbox(buildMailboxStateMap(state));
  const config = await loadConfig(file);
  config.devices = { mailbox: { sourceSpec: mailbox.srcPath } };
  const options = restore.kernelStorage === undefined ? quiet : { ...quiet, kernelStorage: restore.kernelStorage };
  const c = await buildVatController(config, [], options, { mailbox: { ...mailbox.endowments } });
  return { name, c, state, deliverInbound: mailbox.deliverInbound, lastHanded: '' };
}

/** Hands `from`'s outbox for `to` (and its ack) to `to`, if it changed. */
function hand(from: Machine, to: Machine): boolean {
  const data = exportMailboxData(from.state)[to.name];
  if (data === undefined) return false;
  const text = JSON.stringify(data);
  if (text === from.lastHanded) return false;
  from.lastHanded = text;
  return to.deliverInbound(from.name, data.outbox, data.inboundAck);
}

/** Runs both machines and moves mail until neither has anything new. */
async function settle(a: Machine, b: Machine): Promise<void> {
  for (let round = 0; round < 100; round += 1) {
    await a.c.run();
    await b.c.run();
    const movedAB = hand(a, b);
    const movedBA = hand(b, a);
    if (!movedAB && !movedBA) return;
  }
  throw Error('the two machines kept talking for 100 rounds');
}

async function call(a: Machine, b: Machine, method: string, args: unknown[] = []): Promise<{ status: string; value: unknown }> {
  const kpid = a.c.queueToVatRoot('bootstrap', method, args);
  if (kpid === undefined) throw Error('no result');
  await settle(a, b);
  const status = a.c.kpStatus(kpid);
  return { status, value: status === 'unresolved' ? undefined : kunser(a.c.kpResolution(kpid)) };
}

async function makePair(): Promise<[Machine, Machine]> {
  const left = await makeMachine('left', 'left.json');
  const right = await makeMachine('right', 'right.json');
  await settle(left, right);
  return [left, right];
}

/** vrefs the named vat exports (other than its root), from the kernel's c-lists. */
const exportsOf = (c: SwingsetController, vatName: string): string[] => {
  const vatID = c.vatNameToID(vatName);
  return c
    .dump()
    .kernelTable.filter(([, owner, vref]) => owner === vatID && vref.startsWith('o+') && vref !== 'o+0')
    .map(([kref]) => kref);
};

// One pair of machines for the whole conversation: each kernel costs seconds to start.
test('two kernels talk through comms + vattp + mailbox: wire shape, messages, resolutions, GC across the wire', async t => {
  const [left, right] = await makePair();
  try {
    // comms, vattp and timer are built in, with SwingSet's names and IDs
    t.is(left.c.vatNameToID('bootstrap'), 'v1');
    t.is(left.c.vatNameToID('vatAdmin'), 'v2');
    t.is(left.c.vatNameToID('comms'), 'v3');
    t.is(left.c.vatNameToID('vattp'), 'v4');
    t.is(left.c.vatNameToID('timer'), 'v5');
    t.is(right.c.vatNameToID('bob'), 'v6');

    // The first message on the wire, as SwingSet writes it: seqNum 1, nothing
    // received yet, a deliver to right's egress 0 with a result promise.
    const kpid = left.c.queueToVatRoot('bootstrap', 'hello', []) as string;
    await left.c.run();
    const outbox = exportMailboxData(left.state)['right']?.outbox ?? [];
    t.deepEqual(outbox, [[1, '1:0:deliver:ro+0:rp-40;#["hello",["left"]]']]);
    await settle(left, right);
    t.is(left.c.kpStatus(kpid), 'fulfilled');
    t.is(kunser(left.c.kpResolution(kpid)), 'hello left, from bob');

    // A presence made on the right, used from the left, then dropped there:
    // the right kernel drops it too.
    const before = exportsOf(right.c, 'bob');
    t.deepEqual(await call(left, right, 'getThing'), { status: 'fulfilled', value: 'thing t1' });
    const thingKrefs = exportsOf(right.c, 'bob').filter(kref => !before.includes(kref));
    t.is(thingKrefs.length, 1, 'bob exported the thing');
    const thingKref = thingKrefs[0] as string;
    const leftComms = left.c.vatNameToID('comms');
    const commsExports = (): number =>
      left.c.dump().kernelTable.filter(([, owner, vref]) => owner === leftComms && vref.startsWith('o+')).length;
    const commsExportsWithThing = commsExports();
    t.deepEqual(await call(left, right, 'dropThing'), { status: 'fulfilled', value: 'dropped' });
    t.false(exportsOf(right.c, 'bob').includes(thingKref), 'bob no longer exports the thing');
    t.false(right.c.dump().objects.some(([kref]) => kref === thingKref), 'right kernel forgot the object');
    t.is(commsExports(), commsExportsWithThing - 1, "left comms' export of the thing is gone");

    // a left object sent right and called back from there
    t.deepEqual(await call(left, right, 'callBack'), { status: 'fulfilled', value: 'bob heard: pong 7' });
    // a message to an unresolved remote result
    t.deepEqual(await call(left, right, 'pipeline'), { status: 'fulfilled', value: 'thing t2' });
    const failed = await call(left, right, 'failing');
    t.is(failed.status, 'rejected');
    t.regex(String((failed.value as Error).message), /bob says no/);

    // Everything was acked: both outboxes end up empty, acks caught up.
    const leftBox = exportMailboxData(left.state)['right'];
    const rightBox = exportMailboxData(right.state)['left'];
    t.deepEqual(leftBox?.outbox, []);
    t.deepEqual(rightBox?.outbox, []);
    t.true((leftBox?.inboundAck ?? 0) > 0);
    t.true((rightBox?.inboundAck ?? 0) > 0);
  } finally {
    await left.c.shutdown();
    await right.c.shutdown();
  }
});

test('a machine restarted from its store and saved mailbox keeps talking', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-comms-restart-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const right = await makeMachine('right', 'right.json');
  t.teardown(() => right.c.shutdown());
  let saved: MailboxData;
  {
    const { kernelStorage, hostStorage } = openSwingStore(dir);
    const left = await makeMachine('left', 'left.json', { kernelStorage });
    await settle(left, right);
    t.deepEqual(await call(left, right, 'getThing'), { status: 'fulfilled', value: 'thing t1' });
    // A message on its way out when the machine stops: it must survive in the saved mailbox.
    left.c.queueToVatRoot('bootstrap', 'hello', []);
    await left.c.run();
    saved = JSON.parse(JSON.stringify(exportMailboxData(left.state))) as MailboxData;
    t.is(saved['right']?.outbox.length, 1);
    await hostStorage.commit();
    await left.c.shutdown();
    await hostStorage.close();
  }
  const { kernelStorage, hostStorage } = openSwingStore(dir);
  const left = await makeMachine('left', 'left.json', { kernelStorage, mailboxData: saved });
  t.teardown(async () => {
    await left.c.shutdown();
    await hostStorage.close();
  });
  await settle(left, right);
  // comms' state (remotes, c-lists, sequence numbers) came back from the vatstore
  t.deepEqual(await call(left, right, 'pipeline'), { status: 'fulfilled', value: 'thing t2' });
  t.deepEqual(await call(left, right, 'callBack'), { status: 'fulfilled', value: 'bob heard: pong 7' });
  t.deepEqual(exportMailboxData(left.state)['right']?.outbox, []);
});

test('comms initialize is deterministic', async t => {
  const hashes: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const { c } = await makeMachine('right', 'right.json');
    hashes.push(c.getActivityhash());
    await c.run();
    hashes.push(c.getActivityhash());
    await c.shutdown();
  }
  t.is(hashes[0], hashes[2]);
  t.is(hashes[1], hashes[3]);
  t.not(hashes[0], hashes[1]);
});

const commsOptions = { enableSetup: true, managerType: 'local' as const, useTranscript: false, enablePipelining: true, neverReap: true };

async function makeLoopboxMachine(deliverMode: 'immediate' | 'queued') {
  const loopbox = buildLoopbox(deliverMode);
  const config: SwingSetConfig = {
    bootstrap: 'bootstrap',
    pinBootstrapRoot: true,
    snapshotInitial: 1000,
    snapshotInterval: 1000,
    vats: {
      bootstrap: { sourceSpec: path.join(fixtures, 'bootstrap-loopbox.js') },
      bob: { sourceSpec: path.join(fixtures, 'vat-bob.js') },
      commsA: { sourceSpec: PLACEHOLDER_SOURCES.comms, creationOptions: commsOptions },
      commsB: { sourceSpec: PLACEHOLDER_SOURCES.comms, creationOptions: commsOptions, parameters: { identifierBase: 5000 } },
      vattpA: { sourceSpec: PLACEHOLDER_SOURCES.vattp },
      vattpB: { sourceSpec: PLACEHOLDER_SOURCES.vattp },
    },
    devices: { loopbox: { sourceSpec: loopbox.loopboxSrcPath, parameters: { senders: ['a', 'b'] } } },
  };
  const c = await buildVatController(config, [], { ...quiet, initializationOptions: { addComms: false, addVattp: false } }, {
    loopbox: loopbox.loopboxEndowments,
  });
  /** Runs, passing queued loopbox messages one at a time until none are left. */
  const settleLoop = async (): Promise<number> => {
    let passed = 0;
    await c.run();
    while (deliverMode === 'queued' && loopbox.passOneMessage()) {
      passed += 1;
      await c.run();
    }
    return passed;
  };
  return { c, settleLoop };
}

for (const deliverMode of ['immediate', 'queued'] as const) {
  test(`loopbox joins two comms vats in one kernel (${deliverMode})`, async t => {
    const { c, settleLoop } = await makeLoopboxMachine(deliverMode);
    try {
      const passedAtBoot = await settleLoop();
      t.is(c.kpStatus(c.bootstrapResult as string), 'fulfilled');
      t.is(kunser(c.kpResolution(c.bootstrapResult as string)), 'loopbox ready');
      const ask = async (method: string): Promise<unknown> => {
        const kpid = c.queueToVatRoot('bootstrap', method, []) as string;
        const passed = await settleLoop();
        if (deliverMode === 'queued') t.true(passed > 0, `${method} went through the queue`);
        t.is(c.kpStatus(kpid), 'fulfilled', method);
        return kunser(c.kpResolution(kpid));
      };
      t.is(await ask('hello'), 'hello a, from bob');
      t.is(await ask('thingName'), 'thing looped');
      t.is(await ask('callBack'), 'bob heard: pong 3');
      t.is(passedAtBoot, 0, 'nothing crosses the loopbox until a message is sent');
    } finally {
      await c.shutdown();
    }
  });
}
