// Entry point of the supervisor bundle: evaluated once in a fresh xsnap
// worker, after the lockdown bundle. Installs the command handler.
import { makeSupervisor } from './supervisor.js';
import { xsGlobals } from './xsHost.js';

const xs = xsGlobals();
const supervisor = makeSupervisor(xs);
// Anything printed from now on goes to the kernel, not the worker's stdout.
xs.print = supervisor.print;
xs.handleCommand = supervisor.handleCommand;
