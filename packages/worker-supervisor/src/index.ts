// Public surface of @crankshaft/worker-supervisor (kernel side). The
// supervisor itself (src/supervisor, src/lockdown) is only reachable as the
// built bundles.
export type * from './types.js';
export { WorkerError, type WorkerErrorCode } from './errors.js';
export {
  RESULTLESS_SYSCALLS,
  VALUE_SYSCALLS,
  isResultlessSyscall,
  describeDelivery,
  type DeliverySettings,
  type QueuedItem,
  type ReplayReport,
} from './protocol.js';
export { makeRecordedAnswers, type RecordedAnswers } from './replayAnswers.js';
export {
  DEFAULT_HEAP_ROOM_SLOTS,
  DEFAULT_HEAP_INCREMENT_SLOTS,
  readSnapshotHeapIncrement,
  setSnapshotHeapIncrement,
  type PatchResult,
} from './xsHeapTuning.js';
export {
  makeZygoteCache,
  defaultZygoteCache,
  buildZygote,
  zygoteKey,
  type ZygoteCache,
  type ZygoteCacheOptions,
  type ZygoteRequest,
  type ZygoteStats,
} from './zygote.js';
export {
  B0_PREFIX,
  computeB0BundleID,
  isB0BundleID,
  makeXsnapWorkerOptions,
  provideWorkerBundleIDs,
  getWorkerBundlesByID,
  insistNestedEvaluateBundle,
} from './bundleIDs.js';
export {
  ensureWorkerBundles,
  loadWorkerBundles,
  computeBundleInputHash,
  type WorkerBundles,
  type BundleBuildOptions,
} from './bundleBuilder.js';
export {
  startXsnapVatWorker,
  DEFAULT_COMPUTE_LIMIT,
  type XsnapVatWorker,
  type XsnapWorkerOptions,
  type XsnapStart,
  type XsnapWorkerStats,
} from './xsnapWorker.js';
export { renderTestLogArg, joinTestLogLine } from './consoleFormat.js';
export { startLocalVatWorker, type LocalVatWorker, type LocalWorkerOptions } from './localWorker.js';
