#!/usr/bin/env node
// The `crankshaft` binary. SES first: the kernel's marshalling needs it.
import '@endo/init';
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
