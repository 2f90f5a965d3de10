// Runs demo/config.json on xsnap workers with an on-disk swing-store.
// Run it twice with the same directory: the second run reopens the store,
// brings the vats back from their snapshots and transcripts, and goes on.
//   node packages/kernel/demo/run-demo.mjs /tmp/crankshaft-demo
import '@endo/init';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSwingStore } from '@crankshaft/swing-store';
import {
  initializeSwingset,
  kunser,
  loadSwingsetConfigFile,
  makeSwingsetController,
  swingsetIsInitialized,
} from '@crankshaft/kernel';

const stateDir = path.resolve(process.argv[2] ?? 'crankshaft-demo-state');
const here = path.dirname(fileURLToPath(import.meta.url));
const config = await loadSwingsetConfigFile(path.join(here, 'config.json'));

const { kernelStorage, hostStorage } = openSwingStore(stateDir);
let kpid;
if (!swingsetIsInitialized(kernelStorage)) {
  kpid = await initializeSwingset(config, [], kernelStorage);
  await hostStorage.commit();
  console.log(`initialized a new kernel in ${stateDir}`);
} else {
  console.log(`reopened the kernel in ${stateDir}`);
}
const controller = await makeSwingsetController(kernelStorage, {}, {
  slogFile: path.join(stateDir, 'slog.jsonl'),
  vatConsole: () => {},
});
kpid ??= controller.queueToVatRoot('bootstrap', 'bump', ['the host']);
const cranks = await controller.run();
await hostStorage.commit();
console.log(`${cranks} cranks: ${controller.kpStatus(kpid)}: ${JSON.stringify(kunser(controller.kpResolution(kpid)))}`);
console.log(`activity hash ${controller.getActivityhash()}`);
await hostStorage.commit();
await controller.shutdown();
await hostStorage.close();
