// The supervisor: runs inside the xsnap worker, hosts liveslots and answers
// the kernel's commands (see docs/worker-protocol.md). Built into the
// supervisor bundle from entry.ts.
import { makeForwardingConsole, renderConsoleArg, renderTestLogArg } from '../consoleFormat.js';
import { makeRecordedAnswers, type RecordedAnswers } from '../replayAnswers.js';
import { makeLiveslotsSyscall } from '../liveslotsSyscall.js';
import { makeMeterControl } from '../meterControl.js';
import type { DeliveryOutcome, DeliverySettings, ReplayCommandItem, ReplayReport } from '../protocol.js';
import { makeSyscallQueue } from '../syscallQueue.js';
import type { LiveSlotsOptions, VatBundle, VatDeliveryObject, VatSyscallObject, VatSyscallResult } from '../types.js';
import { makeVatRuntime, type VatRuntime } from '../vatRuntime.js';
import { growXsHeap, makeXsGcAndFinalize, nextImmediate, type XsGlobals } from './xsHost.js';

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
  // Set while a replayed delivery runs: its syscalls are answered from the record.
  let recorded: RecordedAnswers | undefined;

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
  const syscall = (vso: VatSyscallObject): VatSyscallResult =>
    offMeter(() => (recorded === undefined ? queue.syscall(vso) : recorded.syscall(vso)));
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
        // Rendered here, as JSON crosses to the kernel (undefined becomes 'null').
        testLog: (...args: unknown[]) => {
          const rendered = args.map(arg => renderTestLogArg(arg, 'null'));
          forwardConsole('testLog', 'log', rendered);
        },
      },
    });
    return `["ready",${queue.takeQueuedJSON()}]`;
  };

  const growHeap = (slots: number): string => {
    if (!Number.isSafeInteger(slots) || slots < 0) {
      throw Error(`growHeap: slots must be a non-negative integer, not ${slots}`);
    }
    offMeter(() => growXsHeap(slots));
    return `["ready",${queue.takeQueuedJSON()}]`;
  };

  const insistRuntime = (what: string): VatRuntime => {
    if (runtime === undefined) {
      throw Error(`${what}: no vat yet (setBundle first)`);
    }
    return runtime;
  };

  const deliver = async (delivery: VatDeliveryObject, settings: DeliverySettings): Promise<string> => {
    const vat = insistRuntime('deliver');
    queue.setBatching(settings.batchSyscalls);
    // Impose this delivery's compute limit; keep what was counted so far.
    const counted = xs.resetMeter(settings.computeLimit, 0);
    xs.resetMeter(settings.computeLimit, counted);
    const outcome: DeliveryOutcome = await vat.dispatch(delivery);
    return offMeter(() => `["delivered",${queue.takeQueuedJSON()},${JSON.stringify(outcome)}]`);
  };

  // Replay mode: each delivery runs with a fresh meter (its own limit), and
  // its syscalls are answered from the record (replayAnswers.ts).
  const replay = async (items: ReplayCommandItem[], settings: DeliverySettings): Promise<string> => {
    const vat = insistRuntime('replay');
    queue.setBatching(settings.batchSyscalls);
    const reports: ReplayReport[] = [];
    try {
      for (const [delivery, results] of items) {
        const answers = offMeter(() => makeRecordedAnswers(results, settings.batchSyscalls));
        recorded = answers;
        xs.resetMeter(settings.computeLimit, 0);
        const vatOutcome: DeliveryOutcome = await vat.dispatch(delivery);
        const computrons = xs.resetMeter(0, 0);
        offMeter(() => {
          const { failure } = answers;
          reports.push([answers.made, failure === undefined ? vatOutcome : ['error', failure], computrons]);
        });
      }
    } finally {
      recorded = undefined;
    }
    return offMeter(() => `["replayed",${queue.takeQueuedJSON()},${JSON.stringify(reports)}]`);
  };

  const runCommand = async (request: ArrayBuffer): Promise<string> => {
    const command: unknown = JSON.parse(decoder.decode(request));
    if (!Array.isArray(command)) {
      throw Error('command must be a tagged array');
    }
    switch (command[0]) {
      case 'growHeap':
        return growHeap(command[1] as number);
      case 'setBundle':
        return setBundle(command[1] as string, command[2] as VatBundle, command[3] as LiveSlotsOptions);
      case 'deliver':
        return deliver(command[1] as VatDeliveryObject, command[2] as DeliverySettings);
      case 'replay':
        return replay(command[1] as ReplayCommandItem[], command[2] as DeliverySettings);
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
