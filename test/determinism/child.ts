// A host process for the kill -9 runs: runs (or resumes) the workload in a
// store folder, appending "crankNum crankhash" to a file as each crank
// finishes (synchronously, so a SIGKILL loses none that ran) and printing
// "crank N" so the parent knows when to kill it.
//   node child.js <dir> <xsnap|local> <seed> <inputs> <hashesFile>
import '@endo/init/debug.js';
import fs from 'node:fs';
import { runWorkload, type WorkerKind } from './driver.js';

const [dir, managerType, seed, inputs, hashesFile] = process.argv.slice(2);
if (!dir || (managerType !== 'xsnap' && managerType !== 'local') || !seed || !inputs || !hashesFile) {
  console.error('usage: child.js <dir> <xsnap|local> <seed> <inputs> <hashesFile>');
  process.exit(2);
}
await runWorkload(dir, { managerType: managerType as WorkerKind, seed: Number(seed), inputs: Number(inputs) }, [], {
  onCrank(crankNum, crankhash) {
    fs.appendFileSync(hashesFile, `${crankNum} ${crankhash}\n`);
    process.stdout.write(`crank ${crankNum}\n`);
  },
});
process.stdout.write('done\n');
