// Kernel benchmark driver for the reference, @agoric/swingset-vat. One
// workload per process: each side locks down its own realm.
// Usage: node bench/kernel/drive-reference.js <workload>
import { referenceHost } from '@crankshaft/test-support/reference-host';
import { runBenchDriver } from '../dist/kernel/workloads.js';

await runBenchDriver(referenceHost, process.argv.slice(2));
process.exit(0);
