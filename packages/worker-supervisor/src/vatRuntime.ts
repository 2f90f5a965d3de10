// Hosting liveslots: build it for one vat with what the host provides
// (syscall object, gcTools, consoles, endowments) and wrap its dispatch so it
// never throws. Shared by the XS supervisor and the local worker; it touches
// no host globals itself.
import { makeLiveSlots } from '@agoric/swingset-liveslots';
import { importBundle } from '@endo/import-bundle';
import type { VatConsole } from './consoleFormat.js';
import type { LiveslotsSyscall } from './liveslotsSyscall.js';
import type { MeterControl } from './meterControl.js';
import type { DeliveryOutcome } from './protocol.js';
import type { LiveSlotsOptions, VatBundle, VatDeliveryObject } from './types.js';

export interface GcTools {
  WeakRef: WeakRefConstructor;
  FinalizationRegistry: FinalizationRegistryConstructor;
  /** Resolves once the promise queue is empty (the vat has lost agency). */
  waitUntilQuiescent(): Promise<void>;
  /** Provokes a full GC and lets finalizers run. */
  gcAndFinalize(): Promise<void>;
  meterControl: MeterControl;
}

export interface VatRuntimeConfig {
  vatID: string;
  vatBundle: VatBundle;
  liveSlotsOptions: LiveSlotsOptions;
  syscall: LiveslotsSyscall;
  gcTools: GcTools;
  /** Console for vat code ('vat') and for liveslots itself ('ls'). */
  makeConsole(source: 'vat' | 'ls'): VatConsole;
  /** Globals for the vat's compartment besides those liveslots adds. */
  endowments: Record<string, unknown>;
  /** Host-supplied vatPowers (merged into what liveslots provides). */
  vatPowers: Record<string, unknown>;
  /**
   * The bundle's default export is `setup(syscall, state, helpers,
   * vatPowers)` returning a raw dispatch function (no liveslots), as
   * SwingSet's `enableSetup` vats (the comms vat) are written.
   */
  enableSetup?: boolean;
}

export interface VatRuntime {
  /** Run one delivery to completion; never rejects. */
  dispatch(delivery: VatDeliveryObject): Promise<DeliveryOutcome>;
}

interface LiveSlotsInstance {
  dispatch(delivery: VatDeliveryObject): Promise<unknown>;
}

type RawDispatch = (delivery: VatDeliveryObject) => unknown;

/** A setup() vat: the bundle is imported on the first delivery and its dispatch used as is. */
function makeSetupVatRuntime(config: VatRuntimeConfig): VatRuntime {
  const { vatID, syscall, makeConsole, endowments, vatPowers } = config;
  let vatBundle: VatBundle | undefined = config.vatBundle;
  const vatConsole = makeConsole('vat');
  let rawDispatch: RawDispatch | undefined;

  const provideDispatch = async (): Promise<RawDispatch> => {
    if (rawDispatch !== undefined) return rawDispatch;
    const bundle = vatBundle as VatBundle;
    vatBundle = undefined;
    const ns = await importBundle(bundle, { endowments: { ...endowments, console: vatConsole } });
    const setup = (ns as { default?: unknown }).default;
    if (typeof setup !== 'function') {
      throw Error(`vat ${vatID}: enableSetup vat bundle lacks a default setup() export`);
    }
    const made: unknown = setup(harden(syscall), null, harden({}), harden({ ...vatPowers }));
    if (typeof made !== 'function') throw Error(`vat ${vatID}: setup() did not return a dispatch function`);
    rawDispatch = made as RawDispatch;
    return rawDispatch;
  };

  const dispatch = async (delivery: VatDeliveryObject): Promise<DeliveryOutcome> => {
    try {
      const raw = await provideDispatch();
      await raw(harden(delivery));
      return ['ok'];
    } catch (err) {
      vatConsole.warn(`error during vat dispatch of ${delivery[0]}:`, err);
      return ['error', `${String(err)}`];
    }
  };
  return { dispatch };
}

export function makeVatRuntime(config: VatRuntimeConfig): VatRuntime {
  if (config.enableSetup === true) return makeSetupVatRuntime(config);
  const { vatID, liveSlotsOptions, syscall, gcTools, makeConsole, endowments, vatPowers } = config;
  let vatBundle: VatBundle | undefined = config.vatBundle;
  const vatConsole = makeConsole('vat');

  // liveslots calls this once, during startVat, with its own globals.
  const buildVatNamespace = async (
    lsEndowments: Record<string, unknown>,
    inescapableGlobalProperties: Record<PropertyKey, unknown>,
  ): Promise<Record<string, unknown>> => {
    const bundle = vatBundle;
    if (bundle === undefined) {
      throw Error(`vat ${vatID}: bundle already imported (second startVat?)`);
    }
    vatBundle = undefined; // let the (large) bundle text be collected
    return importBundle(bundle, {
      endowments: { ...endowments, console: vatConsole, ...lsEndowments },
      inescapableGlobalProperties,
    });
  };

  const ls = makeLiveSlots(
    harden(syscall),
    vatID,
    harden({ ...vatPowers }),
    liveSlotsOptions,
    harden({ ...gcTools }),
    makeConsole('ls'),
    buildVatNamespace,
  ) as LiveSlotsInstance;

  const dispatch = async (delivery: VatDeliveryObject): Promise<DeliveryOutcome> => {
    try {
      await ls.dispatch(harden(delivery));
      return ['ok'];
    } catch (err) {
      vatConsole.warn(`error during vat dispatch of ${delivery[0]}:`, err);
      return ['error', `${String(err)}`];
    }
  };
  return { dispatch };
}
