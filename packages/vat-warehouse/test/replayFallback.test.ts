import test from 'ava';
import type { DeliveryResult, VatDeliveryObject, VatSyscallHandler, VatWorker } from '@crankshaft/worker-supervisor';
import { ReplayDivergenceError } from '../src/errors.js';
import { replayEntries } from '../src/replay.js';
import type { TranscriptEntry } from '../src/transcriptEntry.js';
import type { PositionedEntry } from '../src/transcriptLog.js';

// A worker whose supervisor predates replay mode: `replay` is refused
// (having run nothing), `deliver` works. Each delivery reads and writes one key.
function oldWorker(): VatWorker & { delivered: VatDeliveryObject[] } {
  const delivered: VatDeliveryObject[] = [];
  return {
    vatID: 'v1',
    kind: 'xsnap',
    delivered,
    async deliver(delivery: VatDeliveryObject, handler: VatSyscallHandler): Promise<DeliveryResult> {
      delivered.push(delivery);
      handler(['vatstoreGet', 'count']);
      handler(['vatstoreSet', 'count', String(delivered.length)]);
      return { status: 'ok' };
    },
    async replay() {
      throw Object.assign(Error('this worker has no replay mode'), { code: 'UNSUPPORTED' });
    },
    async shutdown() {},
  };
}

const entries = (count: number, tamperAt?: number): PositionedEntry[] =>
  Array.from({ length: count }, (_, i) => {
    const entry: TranscriptEntry = {
      d: ['message', 'o+0', { methargs: { body: '#["ping",[]]', slots: [] }, result: `p-${i}` }],
      sc: [
        { s: ['vatstoreGet', 'count'], r: ['ok', i === 0 ? null : String(i)] },
        { s: ['vatstoreSet', 'count', i === tamperAt ? 'forged' : String(i + 1)], r: ['ok', null] },
      ],
      r: { status: 'ok' },
    };
    return { position: i + 2, entry, size: 100 };
  });

test('pipelined replay falls back to exact on a worker that cannot replay', async t => {
  const worker = oldWorker();
  const replayed = await replayEntries({
    vatID: 'v1',
    worker,
    entries: entries(5),
    slog: () => {},
    clock: () => 0,
    mode: 'pipelined',
    batching: { maxDeliveries: 2, maxChars: 1_000_000 },
  });
  t.is(replayed, 5);
  t.is(worker.delivered.length, 5, 'every delivery ran once, through deliver');

  const err = await t.throwsAsync(
    replayEntries({ vatID: 'v1', worker: oldWorker(), entries: entries(5, 3), slog: () => {}, clock: () => 0, mode: 'pipelined' }),
    { instanceOf: ReplayDivergenceError },
  );
  t.like(err?.details, { kind: 'wrong', deliveryNum: 5, syscallIndex: 1 });
});
