import '@endo/init/debug.js';
import test from 'ava';
import { defineRestartTests } from './restartTests.js';

defineRestartTests(test, 'local');
