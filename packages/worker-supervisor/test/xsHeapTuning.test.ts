import test from 'ava';
import { readSnapshotHeapIncrement, setSnapshotHeapIncrement } from '../src/xsHeapTuning.js';

/** The head of an xsnap snapshot: XS_M { VERS, SIGN, CREA, ... } with xsnap-worker's creation record. */
function makeSnapshotHead(overrides: { creaFields?: number[]; creaType?: string; signature?: string } = {}): Uint8Array {
  const signature = overrides.signature ?? 'xsnap 1';
  const fields = overrides.creaFields ?? [
    32 << 20, 4 << 20, 393215, 128 * 1024, 4096, 32000, 8000, 1993, 127, 8 << 20, 1993, 0, 0, 0,
  ];
  const atoms: Uint8Array[] = [];
  const atom = (type: string, payload: Uint8Array): void => {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, payload.length + 8, false);
    head.set(new TextEncoder().encode(type), 4);
    atoms.push(head, payload);
  };
  atom('VERS', new Uint8Array([13, 3, 0, 32]));
  atom('SIGN', new TextEncoder().encode(signature));
  const crea = new Uint8Array(4 * fields.length);
  fields.forEach((value, i) => new DataView(crea.buffer).setInt32(4 * i, value, true));
  atom(overrides.creaType ?? 'CREA', crea);
  atom('BLOC', new Uint8Array(16));
  const body = atoms.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(8 + body);
  new DataView(out.buffer).setUint32(0, out.length, false);
  out.set(new TextEncoder().encode('XS_M'), 4);
  let at = 8;
  for (const a of atoms) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

test('the heap increment is read from and written into the creation record', t => {
  const original = makeSnapshotHead();
  t.is(readSnapshotHeapIncrement(original), 128 * 1024);
  const patched = setSnapshotHeapIncrement(original, 512 * 1024);
  if (!patched.ok) return t.fail(patched.problem);
  t.is(patched.previous, 128 * 1024);
  t.is(readSnapshotHeapIncrement(patched.bytes), 512 * 1024);
  t.is(readSnapshotHeapIncrement(original), 128 * 1024, 'the input is not modified');
  // only those four bytes differ
  const differing = [...patched.bytes].filter((byte, i) => byte !== original[i]).length;
  t.true(differing >= 1 && differing <= 4);
  // the signature length moves the record; it is found anyway
  const longer = makeSnapshotHead({ signature: 'xsnap 1 with a longer signature' });
  const moved = setSnapshotHeapIncrement(longer, 256 * 1024);
  t.true(moved.ok);
  t.is(moved.ok ? readSnapshotHeapIncrement(moved.bytes) : undefined, 256 * 1024);
});

test('anything but the expected layout and values is refused, with the reason', t => {
  const refuse = (bytes: Uint8Array, slots: number, pattern: RegExp): void => {
    const result = setSnapshotHeapIncrement(bytes, slots);
    t.false(result.ok);
    if (!result.ok) t.regex(result.problem, pattern);
  };
  refuse(makeSnapshotHead(), 1000, /increment must be 131072\.\.16777216 slots, not 1000/);
  refuse(makeSnapshotHead(), 2 ** 40, /increment must be/);
  refuse(makeSnapshotHead({ creaType: 'CRAB' }), 512 * 1024, /no CREA atom where expected/);
  refuse(new TextEncoder().encode('not a snapshot at all'), 512 * 1024, /no XS_M atom/);
  refuse(new Uint8Array(3), 512 * 1024, /no XS_M atom/);
  const fields = [32 << 20, 4 << 20, 393215, 64 * 1024, 4096, 32000, 8000, 1993, 127, 8 << 20, 1993, 0, 0, 0];
  refuse(makeSnapshotHead({ creaFields: fields }), 512 * 1024, /incrementalHeapCount is 65536, not xsnap's 131072/);
  refuse(makeSnapshotHead({ creaFields: fields.slice(0, 12) }), 512 * 1024, /CREA atom has 56 bytes, not 64/);
  t.is(readSnapshotHeapIncrement(new Uint8Array(3)), undefined);
});
