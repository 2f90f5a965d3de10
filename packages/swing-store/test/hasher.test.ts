import test from 'ava';
import { createHash } from 'node:crypto';
import {
  computeSpanHash,
  crankhashDeleteInput,
  crankhashSetInput,
  initialSpanHash,
  makeSHA256,
  nextActivityhash,
  sha256Hex,
  updateSpanHash,
} from '../src/hasher.js';

// Independent restatement of SHA-256-as-hex, to check our helpers against.
const nodeSha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('sha256Hex matches the published vectors', t => {
  t.is(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(sha256Hex('a'), 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
  t.is(sha256Hex('ab'), 'fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603');
  t.is(sha256Hex(Buffer.from('ab')), sha256Hex('ab'));
});

test('incremental hasher equals one-shot and finishes exactly once', t => {
  const h = makeSHA256();
  h.add('a').add(Buffer.from('b'));
  t.is(h.finish(), sha256Hex('ab'));
  t.throws(() => h.finish(), { code: 'HASHER_FINISHED' } as object);
  t.throws(() => h.add('c'), { code: 'HASHER_FINISHED' } as object);
  t.is(makeSHA256('a').finish(), sha256Hex('a'));
  t.is(makeSHA256().finish(), sha256Hex(''));
  // UTF-8, not UTF-16: '€' is three bytes.
  t.is(makeSHA256('€').finish(), nodeSha256(Buffer.from([0xe2, 0x82, 0xac])));
});

test('crankhash inputs follow the documented byte format', t => {
  t.is(crankhashSetInput('k', 'v'), 'add\nk\nv\n');
  t.is(crankhashDeleteInput('k'), 'delete\nk\n');
  t.is(crankhashSetInput('', ''), 'add\n\n\n');
});

test('activityhash chains previous activityhash and crankhash', t => {
  t.is(nextActivityhash('abc', 'def'), nodeSha256('activityhash\nabc\ndef\n'));
  // Fixed vectors: genesis (empty previous) over an empty crank, and a literal.
  t.is(
    nextActivityhash('', sha256Hex('')),
    '5a4394895b68ff5c6ad9b39632ee63fab029f1c9a85ee76c39eca50d63f37b76',
  );
  t.is(nextActivityhash('abc', 'def'), '60b854d5b51d553609e9ea999cc971631b8f1a96e9bd2b36ffe7db117b5ebf33');
});

test('span hash chain: seed, step and reference vectors', t => {
  t.is(initialSpanHash, nodeSha256('start of transcript span'));
  t.is(initialSpanHash, '43e6be43a3a34d60c0ebeb8498b5849b094fc20fc68483a7aeb3624fa10f79f6');
  // The step hashes the hex *text* of prior hash + item hash.
  t.is(updateSpanHash(initialSpanHash, 'x'), nodeSha256(`${initialSpanHash}${nodeSha256('x')}`));
  t.is(computeSpanHash([]), initialSpanHash);

  const expectedChain = (items: string[]): string =>
    items.reduce((prior, item) => nodeSha256(prior + nodeSha256(item)), nodeSha256('start of transcript span'));

  const zeroth = computeSpanHash(['zeroth']);
  t.is(zeroth, expectedChain(['zeroth']));
  t.true(zeroth.startsWith('92d0cf6e'));
  // The notes abbreviate this as "92d0cf6e…da9a"; the full value (also what
  // @agoric/swing-store computes) ends "…f4daa9a".
  t.true(zeroth.endsWith('daa9a'));
  t.is(zeroth, '92d0cf6ecd39b60b4e32dc65d4c6f343495928cb041f25b19e2825b17f4daa9a');

  const four = ['oneth', 'twoth', 'threeth', 'fourst'];
  const fourHash = computeSpanHash(four);
  t.is(fourHash, expectedChain(four));
  t.true(fourHash.startsWith('45de7ae9'));
  t.true(fourHash.endsWith('ebf1'));
  t.is(fourHash, '45de7ae9d2be34148f9cf3000052e5d1374932d663442fe9f39a342d221cebf1');
});
