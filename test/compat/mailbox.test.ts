// The mailbox state map's exported JSON is what chains store, so ours must
// be SwingSet's byte for byte. Each case runs the same operations through
// our buildMailboxStateMap and through @agoric/swingset-vat's (in a child
// process, which locks itself down) and compares the JSON texts.
import '@endo/init/debug.js';
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  buildMailboxStateMap,
  exportMailboxData,
  makeEphemeralMailboxStorage,
  type MailboxData,
  type PeerMailbox,
} from '@crankshaft/kernel';

type Op = ['add', string, number, string] | ['remove', string, number] | ['setAcknum', string, number];

const referenceScript = fileURLToPath(new URL('../../fixtures/compat/mailbox-reference.js', import.meta.url));

function referenceJSON(ops: Op[], initial?: MailboxData): string {
  const run = spawnSync(process.execPath, [referenceScript], { input: JSON.stringify({ initial, ops }), encoding: 'utf8' });
  if (run.status !== 0) throw Error(`reference mailbox failed: ${run.stderr}`);
  return run.stdout;
}

function ourJSON(ops: Op[], initial?: MailboxData): string {
  const state: Map<string, PeerMailbox> = initial ? makeEphemeralMailboxStorage(initial) : new Map();
  const map = buildMailboxStateMap(state);
  for (const op of ops) {
    if (op[0] === 'add') map.add(op[1], op[2], op[3]);
    else if (op[0] === 'remove') map.remove(op[1], op[2]);
    else map.setAcknum(op[1], op[2]);
  }
  return JSON.stringify(exportMailboxData(state));
}

const cases: Record<string, { ops: Op[]; initial?: MailboxData }> = {
  empty: { ops: [] },
  'one peer, messages out of order, some removed, an ack': {
    ops: [
      ['add', 'peer1', 2, 'two'],
      ['add', 'peer1', 1, 'one'],
      ['add', 'peer1', 10, 'ten'],
      ['add', 'peer1', 3, 'three'],
      ['remove', 'peer1', 1],
      ['setAcknum', 'peer1', 7],
    ],
  },
  'peers keep first-touch order; ack-only and remove-only peers appear': {
    ops: [
      ['setAcknum', 'zed', 3],
      ['add', 'alpha', 1, 'a:"quoted" \\ and\nnewline'],
      ['remove', 'middle', 4],
      ['add', 'zed', 1, '1:0:deliver:ro+0:rp-40;#["hello",["left"]]'],
    ],
  },
  'restored from exported data, then changed': {
    initial: { right: { inboundAck: 5, outbox: [[7, 'seven'], [6, 'six']] }, left: { inboundAck: 0, outbox: [] } },
    ops: [
      ['remove', 'right', 6],
      ['add', 'left', 1, 'first'],
      ['add', 'new', 1, 'n'],
      ['setAcknum', 'right', 9],
    ],
  },
};

for (const [name, { ops, initial }] of Object.entries(cases)) {
  test(`mailbox state JSON matches SwingSet's: ${name}`, t => {
    t.is(ourJSON(ops, initial), referenceJSON(ops, initial));
  });
}

test('mailbox state map refuses message numbers that are not natural numbers', t => {
  const map = buildMailboxStateMap(new Map());
  t.throws(() => map.add('p', -1, 'x'), { message: /msgnum must be a non-negative integer/ });
  t.throws(() => map.setAcknum('p', 1.5), { message: /ack must be a non-negative integer/ });
});
