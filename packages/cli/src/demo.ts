#!/usr/bin/env node
// `npm run demo`: the README's first command ends here.
import { main as storeDemo } from './storeDemo.js';

await storeDemo(process.argv[2]);
