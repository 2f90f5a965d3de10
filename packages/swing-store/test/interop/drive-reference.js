// Interop driver for the reference @agoric/swing-store (a test peer only).
// Its dependencies need SES, so lock down before loading it; that is why it
// runs in a child process of its own. Commands: see driver.ts, plus
//   bundle <modulePath> <out.json>   (a real b1 bundle via @endo/bundle-source)
import '@endo/init/debug.js';
import fs from 'node:fs';
import * as reference from '@agoric/swing-store';
import { runDriver } from '../../dist/test/interop/driver.js';

const [command, ...args] = process.argv.slice(2);
if (command === 'bundle') {
  const { default: bundleSource } = await import('@endo/bundle-source');
  const bundle = await bundleSource(args[0]);
  fs.writeFileSync(args[1], JSON.stringify(bundle));
} else {
  await runDriver(reference, process.argv.slice(2));
}
