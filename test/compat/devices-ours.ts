// The Crankshaft side of the device scenarios: @crankshaft/kernel's host
// API with SwingSet's names and argument order, on @crankshaft/swing-store.
import { initSwingStore, openSwingStore } from '@crankshaft/swing-store';
import { buildBridge, buildCommand, buildPlugin, initializeSwingset, makeSwingsetController } from '@crankshaft/kernel';
import type { DevicesHostApi, StoreLike } from './devices-scenarios.js';

type KernelStorage = Parameters<typeof initializeSwingset>[2];

export const oursApi: DevicesHostApi = {
  side: 'ours',
  initSwingStore: dir => initSwingStore(dir) as StoreLike,
  openSwingStore: dir => openSwingStore(dir) as StoreLike,
  initialize: (config, kernelStorage) =>
    initializeSwingset(config, [], kernelStorage as KernelStorage, { addComms: false, addVattp: false }),
  makeController: (kernelStorage, deviceEndowments) =>
    makeSwingsetController(kernelStorage as KernelStorage, deviceEndowments, { quiet: true, vatConsole: () => {}, xsnapOutput: 'ignore' }),
  buildBridge,
  buildCommand,
  buildPlugin,
};
