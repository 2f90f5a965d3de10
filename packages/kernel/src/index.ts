// Public API of @crankshaft/kernel: the SwingSet-compatible host API.
export {
  makeSwingsetController,
  buildVatController,
  type SwingsetController,
  type ControllerRuntimeOptions,
  type BuildVatControllerOptions,
} from './controller.js';
export {
  initializeSwingset,
  initializeKernel,
  swingsetIsInitialized,
  type InitializationOptions,
  type InitializationRuntimeOptions,
} from './initializeSwingset.js';
export { loadSwingsetConfigFile, loadBasedir, normalizeConfig, ConfigError, type ConfigErrorCode } from './config.js';
export type { SwingSetConfig, VatConfig, DeviceConfig, VatCreationOptions, ManagerType } from './configValidate.js';
export { buildSwingsetKernelConfig, type SwingSetKernelConfig } from './kernelConfig.js';
export { buildKernelBundles, bundleIDOf, checkAllegedBundleID, type KernelBundles, type EndoZipBase64Bundle } from './bundles.js';
export { makeSourceBundler, defaultBundleCacheDir, type SourceBundler } from './bundleCache.js';
export { PLACEHOLDER_SOURCES } from './builtins.js';
export { buildTimer, TIMER_DEVICE_SOURCE, type HostTimer, type TimerDeviceEndowments } from './timerDevice.js';
export { kser, kunser, kslot, krefOf, makeError, type CapData } from './kmarshal.js';
export {
  foreverPolicy,
  crankCounter,
  computronCounter,
  wallClockWaiter,
  noCleanup,
  someCleanup,
  type RunPolicy,
  type CleanupBudget,
  type PolicyInput,
} from './runPolicies.js';
export { makeSlogger, type Slogger, type SlogSender, type SlogRecord } from './slog.js';
export { KernelError, type KernelErrorCode } from './errors.js';
export type { KernelDump } from './state/dump.js';
export type { PromiseState, ResolutionPolicy, RunQueueEvent } from './types.js';
