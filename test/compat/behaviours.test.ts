// Class 5 of issue 11: host-visible behaviours, each as SwingSet 0.33 shows
// them (the expected values were read off @agoric/swingset-vat run on the
// same fixture: kref numbers, reap positions and error texts included).
// Pure-kernel behaviours, so local vats; one kernel for the shared part.
// SwingSet's defaults apply: comms (v3, never reaped) and vattp (v4) are there.
import '@endo/init/debug.js';
import test from 'ava';
import bundleSource from '@endo/bundle-source';
import {
  buildVatController,
  krefOf,
  kunser,
  loadSwingsetConfigFile,
  type SwingsetController,
} from '@crankshaft/kernel';
import { fixturePath, loadCompatConfig, quiet } from './helpers.js';

async function buildBehaviours(): Promise<SwingsetController & { bootstrapResult: string | undefined }> {
  const config = await loadSwingsetConfigFile(fixturePath('behaviours', 'config.json'));
  if (!config) throw Error('missing fixture config');
  return buildVatController(config, [], quiet);
}

const callBootstrap = async (c: SwingsetController, method: string, args: unknown[]): Promise<unknown> => {
  const kpid = c.queueToVatRoot('bootstrap', method, args);
  await c.run();
  return kunser(c.kpResolution(kpid as string));
};

let shared: (SwingsetController & { bootstrapResult: string | undefined }) | undefined;
const provideShared = async (): Promise<SwingsetController & { bootstrapResult: string | undefined }> => {
  shared ??= await buildBehaviours();
  return shared;
};
let bootstrapPresence: unknown;
test.after.always(async () => {
  await shared?.shutdown();
});

test.serial('a presence result comes back through kpResolution; kunser and krefOf work on it', async t => {
  const c = await provideShared();
  await c.run();
  const capdata = c.kpResolution(c.bootstrapResult as string);
  t.deepEqual(capdata, { body: '#"$0.Alleged: thing"', slots: ['ko28'] });
  const presence = kunser(capdata);
  t.is(krefOf(presence), 'ko28');
  bootstrapPresence = presence;
});

test.serial('createVat refuses a vat name of 200 characters or more, and a bad one, with SwingSet text', async t => {
  const c = await provideShared();
  const long = 'x'.repeat(200);
  t.is(await callBootstrap(c, 'createNamed', [long]), `refused: CreateVatOptions: oversized vat name "${long}"`);
  t.is(await callBootstrap(c, 'createNamed', ['x'.repeat(199)]), 'created');
  t.is(await callBootstrap(c, 'createNamed', ['a b']), 'refused: CreateVatOptions: bad vat name "a b"');
});

test.serial('reapAllVats: positions as SwingSet reports them, a BOYD only for vats that moved', async t => {
  const c = await provideShared();
  const first = c.reapAllVats();
  t.deepEqual(first, { v1: 28, v6: 4, v7: 6, v5: 4, v2: 23, v4: 4, v8: 7 });
  await c.run();
  const second = c.reapAllVats();
  t.deepEqual(second, { v1: 29, v6: 5, v7: 7, v5: 5, v2: 24, v4: 5, v8: 8 });
  await c.run();
  // Nothing moved but the reaps themselves: no more BOYDs are scheduled.
  t.deepEqual(c.reapAllVats(c.reapAllVats(second)), second);
  t.deepEqual(c.dump().reapQueue, []);
  const targetID = c.vatNameToID('target');
  const transcript = c.dump().vatTables.find(v => v.vatID === targetID)?.state.transcript ?? [];
  const last = transcript.at(-1)?.[1] as { d: [string] } | undefined;
  t.is(last?.d[0], 'bringOutYourDead');
});

test.serial('the presence from kpResolution is usable: the host holds a reference to it', async t => {
  const c = await provideShared();
  const kpid = c.queueToVatObject(bootstrapPresence, 'label', []);
  await c.run();
  t.is(kunser(c.kpResolution(kpid as string)), 'from bootstrap');
});

test.serial('validateAndInstallBundle refuses bad and corrupt bundles, naming why', async t => {
  const c = await provideShared();
  const good = (await bundleSource(fixturePath('behaviours', 'vat-target.js'))) as {
    moduleFormat: string;
    endoZipBase64: string;
    endoZipBase64Sha512: string;
  };
  const goodID = `b1-${good.endoZipBase64Sha512}`;
  // Corrupt one module's text inside the archive (zip entries are stored, not compressed).
  const zip = Buffer.from(good.endoZipBase64, 'base64');
  const at = zip.indexOf('makeThing');
  t.true(at > 0, 'the vat source is in the archive');
  zip.write('makeThinG', at);
  const corruptZip = zip.toString('base64');
  const refuse = (bundle: unknown, message: RegExp, alleged?: string): Promise<unknown> =>
    t.throwsAsync(() => c.validateAndInstallBundle(bundle, alleged), { message });

  await refuse('nope', /bundle/);
  await refuse(null, /bundle/);
  await refuse({ moduleFormat: 'nestedEvaluate', source: 'x', sourceMap: '' }, /endoZipBase64/);
  await refuse({ moduleFormat: 'endoZipBase64', endoZipBase64: good.endoZipBase64 }, /endoZipBase64Sha512/);
  await refuse({ ...good, extra: 'x' }, /"extra"/);
  // Corrupt content under the right hash: the zip's own checksums catch it.
  await refuse(
    { ...good, endoZipBase64: corruptZip },
    /CRC-32 checksum mismatch|SHA-512/,
  );
  await refuse({ ...good, endoZipBase64Sha512: 'f'.repeat(128) }, /SHA-512/);
  // SwingSet's exact text for an alleged ID that is not the bundle's.
  const wrongID = `b1-${'0'.repeat(128)}`;
  await refuse(harden({ ...good }), new RegExp(`^alleged bundleID "${wrongID}" does not match actual "${goodID}"$`), wrongID);

  t.is(await c.validateAndInstallBundle(harden({ ...good }), goodID), goodID);
  // Installing it again is fine.
  t.is(await c.validateAndInstallBundle(harden({ ...good })), goodID);
});

test.serial("a critical vat's failure panics the kernel with the failure's capdata body as the message", async t => {
  const c = await buildBehaviours();
  t.teardown(() => c.shutdown());
  await c.run();
  c.queueToVatRoot('bootstrap', 'failCritical', ['critical boom']);
  const expected = '#{"#error":"critical boom","errorId":"error:liveSlots:v6#70001","name":"Error"}';
  const err = await t.throwsAsync(() => c.run());
  t.is(err?.message, expected);
  // Sticky: the same error again.
  const again = await t.throwsAsync(() => c.run());
  t.is(again, err);
});

// The global names a vat sees, as SwingSet 0.33 gives them (read off its
// local and xs-worker vats).
const SWINGSET_LOCAL_GLOBALS = [
  'AggregateError', 'Array', 'ArrayBuffer', 'Base64', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean',
  'Compartment', 'DataView', 'Date', 'Error', 'EvalError', 'Function', 'HandledPromise', 'Infinity', 'Int16Array',
  'Int32Array', 'Int8Array', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object', 'Promise', 'Proxy', 'RangeError',
  'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol', 'SyntaxError', 'TextDecoder', 'TextEncoder',
  'TypeError', 'URIError', 'URL', 'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray', 'VatData',
  'WeakMap', 'WeakSet', 'assert', 'atob', 'btoa', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI',
  'encodeURIComponent', 'escape', 'eval', 'globalThis', 'harden', 'isFinite', 'isNaN', 'lockdown', 'parseFloat',
  'parseInt', 'undefined', 'unescape',
];
// xs-worker vats also have ModuleSource (an XS engine global) and, from the
// older SES inside @agoric/xsnap-lockdown's prebuilt bundle, Float32Array and
// Float64Array. Our lockdown bundle is built from ses 2.3 (the SES SwingSet's
// own local vats run under), which does not share those two: the documented
// difference (docs/host-api.md).
const SWINGSET_XS_ONLY = ['ModuleSource'];
const XS_ONLY_DIFFERENCE = ['Float32Array', 'Float64Array'];

for (const managerType of ['local', 'xsnap'] as const) {
  test.serial(`the vat environment's globals are SwingSet's (${managerType})`, async t => {
    const config = await loadCompatConfig('globals', managerType);
    const c = await buildVatController(config, [], quiet);
    t.teardown(() => c.shutdown());
    await c.run();
    const kinds = kunser(c.kpResolution(c.bootstrapResult as string)) as Record<string, string>;
    const expected = managerType === 'local' ? SWINGSET_LOCAL_GLOBALS : [...SWINGSET_LOCAL_GLOBALS, ...SWINGSET_XS_ONLY];
    t.deepEqual(Object.keys(kinds).sort(), [...expected].sort());
    for (const name of XS_ONLY_DIFFERENCE) t.false(name in kinds);
    // Endowments with their kinds: Base64 only on XS, URL nowhere (as SwingSet).
    t.like(kinds, {
      console: 'object',
      assert: 'function',
      HandledPromise: 'function',
      TextEncoder: 'function',
      TextDecoder: 'function',
      VatData: 'object',
      URL: 'undefined',
      Base64: managerType === 'xsnap' ? 'object' : 'undefined',
    });
  });
}
