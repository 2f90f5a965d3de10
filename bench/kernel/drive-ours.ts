// Kernel benchmark driver for Crankshaft. One workload per process.
// Usage: node bench/dist/kernel/drive-ours.js <workload>
import { oursHost } from '@crankshaft/test-support/ours-host';
import { runBenchDriver } from './workloads.js';

await runBenchDriver(oursHost, process.argv.slice(2));
process.exit(0);
