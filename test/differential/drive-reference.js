// Differential driver for the reference, @agoric/swingset-vat. Runs in its
// own process: each side locks down its own realm.
// Usage: node test/differential/drive-reference.js <out.json> <scenarioDir>...
import { referenceHost } from '@crankshaft/test-support/reference-host';
import { runDriver } from '../dist/differential/driver.js';

await runDriver(referenceHost, process.argv.slice(2));
// xsnap children and timers must not keep us alive once the output is written.
process.exit(0);
