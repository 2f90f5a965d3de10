// The worker-supervisor contract types this package uses, re-exported in
// one place so the rest of the package imports them from here.
export type {
  CapData,
  VatMessage,
  VatOneResolution,
  VatDeliveryObject,
  VatSyscallObject,
  VatSyscallResult,
  VatSyscallHandler,
  DeliveryMetering,
  DeliveryResult,
  SnapshotSaveResult,
  SnapStoreLike,
  SnapshotReport,
  VatWorker,
  WorkerOptions,
  LiveSlotsOptions,
  VatConsoleEntry,
  VatConsoleSink,
} from '@crankshaft/worker-supervisor';
