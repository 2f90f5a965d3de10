#!/usr/bin/env node
// `npm run demo`: the README's first command ends here.
import '@endo/init';
import { main } from './kernelDemo.js';

await main(process.argv[2]);
