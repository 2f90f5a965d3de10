import '@endo/init/debug.js';
import test from 'ava';
import { kser, kslot, krefOf, kunser, makeError, KmarshalError } from '../src/shared/kmarshal.js';

test('kser encodes kslot stand-ins as smallcaps slots, in first-seen order', t => {
  const alice = kslot('ko20');
  const data = kser([{ bob: kslot('ko21'), alice }, kslot('kp40'), alice, 1n, undefined]);
  t.deepEqual(data, {
    body: '#[{"alice":"$0.Alleged: undefined","bob":"$1.Alleged: undefined"},"&2","$0","+1","#undefined"]',
    slots: ['ko20', 'ko21', 'kp40'],
  });
  // Stand-ins are compared by identity, as in SwingSet: two kslot() calls are two slots.
  t.deepEqual(kser([kslot('ko20'), kslot('ko20')]).slots, ['ko20', 'ko20']);
});

test('kunser then kser keeps the body, the slots and interface names', t => {
  const original = { body: '#["$0.Alleged: purse","&1",{"n":"+7"}]', slots: ['ko20', 'kp41'] };
  const value = kunser(original) as [unknown, unknown, unknown];
  t.is(krefOf(value[0]), 'ko20');
  t.is(krefOf(value[1]), 'kp41');
  t.deepEqual(kser(value), original);
});

test('promise refs of every flavour become promises; others become remotables', t => {
  for (const ref of ['kp40', 'p-60', 'p+5', 'lp3', 'rp4']) {
    const standin = kslot(ref);
    t.true(standin instanceof Promise, ref);
    t.is(krefOf(standin), ref);
  }
  const obj = kslot('ko20', 'Alleged: thing') as { iface(): string; getKref(): string };
  t.is(obj.iface(), 'thing');
  t.is(obj.getKref(), 'ko20');
});

test('krefOf refuses values kslot did not make', t => {
  t.throws(() => krefOf(harden({})), { instanceOf: KmarshalError, message: /requires a promise or remotable/ });
  t.throws(() => krefOf(harden(Promise.resolve(1))), { instanceOf: KmarshalError, message: /not made by kslot/ });
  t.throws(() => kslot(3 as unknown as string), { instanceOf: KmarshalError });
});

test('makeError produces the untagged error body vats receive', t => {
  t.deepEqual(makeError('vat terminated'), { body: '#{"#error":"vat terminated","name":"Error"}', slots: [] });
  const err = kunser(makeError('no')) as Error;
  t.true(err instanceof Error);
  t.is(err.message, 'no');
});

test('matches @agoric/kmarshal byte for byte', async t => {
  // The reference marshaller, as an oracle (learned behaviour, not copied code).
  const ref = (await import('@agoric/kmarshal' as string)) as {
    kser: (v: unknown) => { body: string; slots: string[] };
    kslot: (k: string, i?: string) => unknown;
    makeError: (m: string) => { body: string; slots: string[] };
  };
  const build = (slot: (k: string, i?: string) => unknown): unknown => [
    'bootstrap',
    [{ zed: slot('ko22'), alice: slot('ko20', 'Alleged: a') }, { vatAdmin: slot('kd30') }],
    slot('kp41'),
    { big: 10n ** 30n, neg: -0, nan: NaN, str: '$dollar', bang: '!bang', list: [null, true] },
  ];
  t.deepEqual(kser(build(kslot)), ref.kser(build(ref.kslot)));
  t.deepEqual(makeError('boom'), ref.makeError('boom'));
});
