// Entry point of the lockdown bundle: the first code a fresh xsnap worker
// evaluates. A console shim, then the Endo shims (HandledPromise, Base64,
// promise-kit) and `lockdown()` via @endo/init. XS already has a native
// `harden`; lockdown installs SES's, and nothing here may harden before it.
import './consoleShim.js';
import '@endo/init';

// The console is shared by every compartment made later.
harden((globalThis as unknown as { console: unknown }).console);
