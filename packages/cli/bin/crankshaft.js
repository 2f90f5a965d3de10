#!/usr/bin/env node
// Launcher for the compiled `crankshaft` command (dist/src/bin.js, built by
// `tsc -b` at install). Kept in git, executable, so that yarn can link it
// into node_modules/.bin before the build has run.
import '../dist/src/bin.js';
