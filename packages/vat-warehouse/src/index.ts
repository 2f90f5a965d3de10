// Public API of @crankshaft/vat-warehouse.
export { makeVatWarehouse } from './warehouse.js';
export type * from './types.js';

export { VatWarehouseError, ReplayDivergenceError } from './errors.js';
export type { VatWarehouseErrorCode, DivergenceKind, DivergenceDetails } from './errors.js';

export { canonicalJSON } from './canonicalJSON.js';
export * from './transcriptEntry.js';
export { makeTranscriptLog } from './transcriptLog.js';
export type { TranscriptLog, PositionedEntry } from './transcriptLog.js';
export { makeSyscallSimulator, compareSyscall, divergenceMessage, makeDivergenceError } from './syscallSimulator.js';
export type { SyscallSimulator } from './syscallSimulator.js';
export { replayEntries, DEFAULT_REPLAY_BATCHING } from './replay.js';
export type { ReplayMode, ReplayBatching, ReplayParams } from './replay.js';
export { replaySpan } from './spanReplay.js';
export type { SpanReplayRequest, SpanReplayOutcome, SpanStart, SpanEnd } from './spanReplay.js';
export { defaultSnapshotPolicy, makeSnapshotPolicy, isSnapshotDue } from './snapshotPolicy.js';
export type { SnapshotPolicy, SnapshotCandidate } from './snapshotPolicy.js';
export { makeRecencyList } from './lru.js';
export type { RecencyList } from './lru.js';
export { addReapDirt, mergeReapThresholds, cleanReapDirt, defaultReapDirtThreshold } from './reapDirt.js';
export type { ReapDirt, ReapDirtThreshold, ReapLimit, DirtUpdate } from './reapDirt.js';
export { defaultClock, noSlog, slogDeliveryResult } from './slog.js';
export type { WarehouseSlogEvent, SlogSender, MonotonicClock, SlogDeliveryResult } from './slog.js';
export { makeWorkerStarter } from './workerStarter.js';
export type { WorkerStarterOptions, XsnapTuning } from './workerStarter.js';
