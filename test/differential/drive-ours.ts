// Differential driver for Crankshaft. Runs in its own process: each side
// locks down its own realm.
// Usage: node test/dist/differential/drive-ours.js <out.json> <scenarioDir>...
import { oursHost } from '@crankshaft/test-support/ours-host';
import { runDriver } from './driver.js';

await runDriver(oursHost, process.argv.slice(2));
// Worker processes must not keep us alive once the output is written.
process.exit(0);
