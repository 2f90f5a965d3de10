// The bridge device: synchronous calls out to the host and asynchronous
// messages in from it, everything plain JSON (see `buildBridge` in
// src/devices/bridgeDevice.ts for the host half).
//
// Vat-facing methods (D(device).method(...)), as SwingSet's bridge has them:
//   registerInboundHandler(handler)   handler.inbound(...args) gets host input;
//                                     a second registration is refused
//   unregisterInboundHandler()        forget the handler (one may register again)
//   callOutbound(...args) -> result   the host's outbound callback, called now;
//                                     its JSON result, or undefined
//
// Device state: { inboundHandler } (undefined after unregister), so the
// handler survives a kernel restart.
import { Far } from '@endo/far';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { BridgeDeviceEndowments } from '../../src/devices/bridgeDevice.js';
import { copyAsJson, outboundResult } from '../../src/devices/jsonable.js';

/** A presence of a vat object with an inbound(...args) method. */
type Handler = object;

export interface BridgeDeviceRoot {
  registerInboundHandler(handler: Handler): void;
  unregisterInboundHandler(): void;
  callOutbound(...args: unknown[]): unknown;
}

export function buildRootDeviceNode(tools: RootDeviceNodeTools): BridgeDeviceRoot {
  const { SO, getDeviceState, setDeviceState } = tools;
  const endowments = tools.endowments as Partial<BridgeDeviceEndowments> | undefined;
  if (typeof endowments?.registerInboundCallback !== 'function' || typeof endowments.callOutbound !== 'function') {
    throw TypeError('bridge device: endowments must come from buildBridge() (registerInboundCallback or callOutbound is missing)');
  }
  const { callOutbound } = endowments;
  const stored = getDeviceState() as { inboundHandler?: Handler } | undefined;
  let inboundHandler: Handler | undefined = stored?.inboundHandler;

  endowments.registerInboundCallback((...args: unknown[]) => {
    if (inboundHandler === undefined) throw Error('bridge device: inboundHandler not yet registered');
    // throws (to the host) on what JSON cannot carry
    const copied = copyAsJson(args) as unknown[];
    try {
      SO(inboundHandler)['inbound']?.(...harden(copied));
    } catch (err) {
      console.error('bridge device: error during inboundCallback:', err);
    }
  });

  return Far('root', {
    registerInboundHandler(handler: Handler) {
      if (inboundHandler !== undefined) throw Error('inboundHandler already registered');
      inboundHandler = handler;
      setDeviceState(harden({ inboundHandler }));
    },
    unregisterInboundHandler() {
      inboundHandler = undefined;
      setDeviceState(harden({ inboundHandler }));
    },
    callOutbound(...args: unknown[]) {
      return harden(outboundResult(callOutbound(...args)));
    },
  });
}
