// Public API of @crankshaft/kernel: the SwingSet-compatible host API.
export {
  makeSwingsetController,
  buildVatController,
  type SwingsetController,
  type ControllerRuntimeOptions,
  type BuildVatControllerOptions,
} from './controller/controller.js';
export {
  initializeSwingset,
  initializeKernel,
  swingsetIsInitialized,
  type InitializationOptions,
  type InitializationRuntimeOptions,
} from './controller/initializeSwingset.js';
export { loadSwingsetConfigFile, loadBasedir, normalizeConfig, ConfigError, type ConfigErrorCode } from './controller/config.js';
export type { SwingSetConfig, VatConfig, DeviceConfig, VatCreationOptions, ManagerType } from './controller/configValidate.js';
export { upgradeSwingset } from './controller/upgradeSwingset.js';
export { makeRunUtils, type RunUtils, type RunHarness, type EVProxy } from './controller/runUtils.js';
export { buildSwingsetKernelConfig, type SwingSetKernelConfig } from './controller/kernelConfig.js';
export { buildKernelBundles, bundleIDOf, checkAllegedBundleID, type KernelBundles, type EndoZipBase64Bundle } from './bundles/bundles.js';
export { makeSourceBundler, defaultBundleCacheDir, type SourceBundler } from './bundles/bundleCache.js';
export { PLACEHOLDER_SOURCES } from './controller/builtins.js';
export { buildTimer, TIMER_DEVICE_SOURCE, type HostTimer, type TimerDeviceEndowments } from './devices/timerDevice.js';
export {
  buildBridge,
  BRIDGE_DEVICE_SOURCE,
  type HostBridge,
  type BridgeDeviceEndowments,
  type BridgeOutboundCallback,
} from './devices/bridgeDevice.js';
export {
  buildCommand,
  COMMAND_DEVICE_SOURCE,
  type HostCommand,
  type CommandDeviceEndowments,
  type CommandBroadcastCallback,
} from './devices/commandDevice.js';
export {
  buildPlugin,
  PLUGIN_DEVICE_SOURCE,
  type HostPlugin,
  type PluginDeviceEndowments,
  type PluginImporter,
  type PluginPowers,
  type QueueThunkForKernel,
} from './devices/pluginDevice.js';
export { buildMailbox, MAILBOX_DEVICE_SOURCE, type HostMailbox, type MailboxDeviceEndowments } from './devices/mailboxDevice.js';
export {
  buildMailboxStateMap,
  exportMailboxData,
  makeEphemeralMailboxStorage,
  type MailboxData,
  type MailboxStateMap,
  type PeerMailbox,
} from './devices/mailboxState.js';
export { buildLoopbox, LOOPBOX_DEVICE_SOURCE, type HostLoopbox, type LoopboxDeliverMode } from './devices/loopboxDevice.js';
export { kser, kunser, kslot, krefOf, makeError, type CapData } from './shared/kmarshal.js';
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
} from './crank/runPolicies.js';
export { makeSlogger, type Slogger, type SlogSender, type SlogRecord } from './slog/slog.js';
export { KernelError, type KernelErrorCode } from './shared/errors.js';
export type { KernelDump } from './state/dump.js';
export type { PromiseState, ResolutionPolicy, RunQueueEvent } from './shared/types.js';
