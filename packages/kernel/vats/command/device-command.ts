// The command device: the kernel end of a host's HTTP/WebSocket command
// channel (see `buildCommand` in src/devices/commandDevice.ts for the host
// half). A host request arrives as handler.inbound(count, body), with count
// a bigint numbering the requests from 0n; the vat answers it with
// sendResponse(count, isReject, response). Bodies travel as JSON text.
//
// Vat-facing methods (D(device).method(...)), as SwingSet's command device
// has them:
//   registerInboundHandler(handler)          replaces any earlier handler
//   sendResponse(count, isReject, obj)       settles the host's promise
//   sendBroadcast(obj)                       the host's broadcastCallback(obj)
// Host-side failures in the last two are logged, never thrown at the vat.
//
// Device state: { inboundHandler }, so the handler survives a restart.
import { Far } from '@endo/far';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { CommandDeviceEndowments } from '../../src/devices/commandDevice.js';
import { toNatural } from '../../src/devices/jsonable.js';

/** A presence of a vat object with an inbound(count, body) method. */
type Handler = object;

export interface CommandDeviceRoot {
  registerInboundHandler(handler: Handler): void;
  sendResponse(count: unknown, isReject: unknown, obj: unknown): void;
  sendBroadcast(obj: unknown): void;
}

export function buildRootDeviceNode(tools: RootDeviceNodeTools): CommandDeviceRoot {
  const { SO, getDeviceState, setDeviceState } = tools;
  const endowments = tools.endowments as Partial<CommandDeviceEndowments> | undefined;
  if (
    typeof endowments?.registerInboundCallback !== 'function' ||
    typeof endowments.deliverResponse !== 'function' ||
    typeof endowments.sendBroadcast !== 'function'
  ) {
    throw TypeError('command device: endowments must come from buildCommand() (registerInboundCallback, deliverResponse or sendBroadcast is missing)');
  }
  const { deliverResponse, sendBroadcast } = endowments;
  const stored = getDeviceState() as { inboundHandler?: Handler } | undefined;
  let inboundHandler: Handler | undefined = stored?.inboundHandler;

  endowments.registerInboundCallback((count, bodyString) => {
    if (inboundHandler === undefined) throw Error('CMD inboundHandler not set before registerInboundHandler');
    try {
      const body: unknown = JSON.parse(`${bodyString}`);
      SO(inboundHandler)['inbound']?.(toNatural(count, 'command count'), harden(body));
    } catch (err) {
      console.error('command device: error during inboundCallback:', err);
      throw Error(`error during inboundCallback: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  return Far('root', {
    registerInboundHandler(handler: Handler) {
      inboundHandler = handler;
      setDeviceState(harden({ inboundHandler }));
    },
    sendResponse(count: unknown, isReject: unknown, obj: unknown) {
      try {
        deliverResponse(count, isReject, JSON.stringify(obj));
      } catch (err) {
        console.error('command device: error during sendResponse:', err);
      }
    },
    sendBroadcast(obj: unknown) {
      try {
        sendBroadcast(JSON.stringify(obj));
      } catch (err) {
        console.error('command device: error during sendBroadcast:', err);
      }
    },
  });
}
