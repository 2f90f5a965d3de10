// The supervisor: runs inside the xsnap worker, hosts liveslots and answers
// the kernel's commands (see docs/worker-protocol.md). Built into the
// supervisor bundle from entry.ts.
import { makeForwardingConsole, renderConsoleArg } from '../consoleFormat.js';
import { makeLiveslotsSyscall } from '../liveslotsSyscall.js';
import { makeMeterControl } from '../meterControl.js';
import type { DeliveryOutcome, DeliverySettings } from '../protocol.js';
import { makeSyscallQueue } from '../syscallQueue.js';
import type { LiveSlotsOptions, VatBundle, VatDeliveryObject, VatSyscallObject, VatSyscallResult } from '../types.js';
import { makeVatRuntime, type VatRuntime } from '../vatRuntime.js';
import { makeXsGcAndFinalize, nextImmediate, type XsGlobals } from './xsHost.js';

/** xsnap's "report" idiom: XS reads `.result` once the run loop is idle. */
interface Report {
  result?: ArrayBuffer;
}

export interface Supervisor {
  handleCommand(request: ArrayBuffer): Report;
  /** Stray `print` output, forwarded as console source 'xsnap'. */
  print(...args: unknown[]): void;
}

export function makeSupervisor(xs: XsGlobals): Supervisor {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const toBuffer = (text: string): ArrayBuffer => {
    const bytes = encoder.encode(text);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };

  const queue = makeSyscallQueue(queryJSON => decoder.decode(xs.issueCommand(toBuffer(queryJSON))));
  const meterControl = makeMeterControl(xs);
  let runtime: VatRuntime | undefined;

  // The transport (encoding, queueing, round trips) runs off the meter, so
  // a delivery costs the same computrons with batching on or off.
  const offMeter = <T>(thunk: () => T): T => {
    const limit = xs.currentMeterLimit();
    const counted = xs.resetMeter(0, 0);
    try {
      return thunk();
    } finally {
      xs.resetMeter(limit, counted);
    }
  };
  const syscall = (vso: VatSyscallObject): VatSyscallResult => offMeter(() => queue.syscall(vso));
  const forwardConsole = (source: string, level: string, args: string[]): void =>
    offMeter(() => queue.console(source, level, args));

  const makeConsole = (source: string) => makeForwardingConsole((level, args) => forwardConsole(source, level, args));

  const setBundle = (vatID: string, vatBundle: VatBundle, liveSlotsOptions: LiveSlotsOptions): string => {
    if (runtime !== undefined) {
      throw Error('setBundle: this worker already hosts a vat');
    }
    runtime = makeVatRuntime({
      vatID,
      vatBundle,
      liveSlotsOptions,
      syscall: makeLiveslotsSyscall(syscall),
      gcTools: {
        WeakRef,
        FinalizationRegistry,
        waitUntilQuiescent: () => nextImmediate(xs),
        gcAndFinalize: makeXsGcAndFinalize(xs),
        meterControl,
      },
      makeConsole,
      endowments: {
        assert: (globalThis as Record<string, unknown>)['assert'],
        HandledPromise: (globalThis as Record<string, unknown>)['HandledPromise'],
        TextEncoder,
        TextDecoder,
        Base64: xs.Base64,
      },
      vatPowers: {
        testLog: (...args: unknown[]) => forwardConsole('testLog', 'log', args.map(renderConsoleArg)),
      },
    });
    return `["ready",${queue.takeQueuedJSON()}]`;
  };

  const deliver = async (delivery: VatDeliveryObject, settings: DeliverySettings): Promise<string> => {
    if (runtime === undefined) {
      throw Error('deliver: no vat yet (setBundle first)');
    }
    queue.setBatching(settings.batchSyscalls);
    // Impose this delivery's compute limit; keep what was counted so far.
    const counted = xs.resetMeter(settings.computeLimit, 0);
    xs.resetMeter(settings.computeLimit, counted);
    const outcome: DeliveryOutcome = await runtime.dispatch(delivery);
    return offMeter(() => `["delivered",${queue.takeQueuedJSON()},${JSON.stringify(outcome)}]`);
  };

  const runCommand = async (request: ArrayBuffer): Promise<string> => {
    const command: unknown = JSON.parse(decoder.decode(request));
    if (!Array.isArray(command)) {
      throw Error('command must be a tagged array');
    }
    switch (command[0]) {
      case 'setBundle':
        return setBundle(command[1] as string, command[2] as VatBundle, command[3] as LiveSlotsOptions);
      case 'deliver':
        return deliver(command[1] as VatDeliveryObject, command[2] as DeliverySettings);
      default:
        throw Error(`unknown command ${JSON.stringify(command[0])}`);
    }
  };

  const handleCommand = (request: ArrayBuffer): Report => {
    const report: Report = {};
    runCommand(request)
      .catch(err => `["failed",${queue.takeQueuedJSON()},${JSON.stringify(String(err))}]`)
      .then(text => {
        report.result = toBuffer(text);
      })
      .catch(() => {
        report.result = toBuffer('["failed",[],"supervisor could not encode its reply"]');
      });
    return report;
  };

  const print = (...args: unknown[]): void => forwardConsole('xsnap', 'log', args.map(renderConsoleArg));

  return { handleCommand, print };
}
