// The host half of the bridge device, shaped like SwingSet's
// buildBridge(outboundCallback): the host puts `srcPath` in its config
// (`devices.bridge.sourceSpec`), passes `endowments` as the bridge
// device's endowments, and calls `deliverInbound(...args)` between runs.
// Vats call the device's callOutbound(...args); the host's
// outboundCallback runs at once with the same arguments (as JSON, bigints
// as decimal strings) and its return value goes back to the vat.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';
import { copyAsJsonBigintsAsStrings } from './jsonable.js';

export type BridgeOutboundCallback = (...args: unknown[]) => unknown;
export type BridgeInboundCallback = (...args: unknown[]) => void;

export interface BridgeDeviceEndowments {
  /** Called once by the device when it starts. */
  registerInboundCallback(inbound: BridgeInboundCallback): void;
  /** The device's way out: calls the host's outboundCallback. */
  callOutbound(...args: unknown[]): unknown;
}

export interface HostBridge {
  /** Source of the bridge device, for `devices.bridge.sourceSpec`. */
  srcPath: string;
  /** The bridge device's endowments (`deviceEndowments.bridge`). */
  endowments: BridgeDeviceEndowments;
  /**
   * Queues `handler.inbound(...args)` for the vat that registered a
   * handler (args must be JSON); returns undefined. The vat sees it on a
   * later crank: call `controller.run()`, then commit.
   */
  deliverInbound(...args: unknown[]): void;
}

/** The compiled device (vats/bridge/device-bridge.ts -> dist/vats/bridge/device-bridge.js). */
export const BRIDGE_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/bridge/device-bridge.js', import.meta.url));

export function buildBridge(outboundCallback: BridgeOutboundCallback): HostBridge {
  if (typeof outboundCallback !== 'function') {
    throw new KernelError('BAD_ARGUMENT', 'buildBridge(outboundCallback): outboundCallback must be a function');
  }
  let inboundCallback: BridgeInboundCallback | undefined;
  const endowments: BridgeDeviceEndowments = {
    registerInboundCallback(inbound) {
      if (inboundCallback) throw Error('inboundCallback already registered');
      if (typeof inbound !== 'function') throw TypeError('bridge device registered a non-function inbound callback');
      inboundCallback = inbound;
    },
    callOutbound(...args) {
      return outboundCallback(...(copyAsJsonBigintsAsStrings(args) as unknown[]));
    },
  };
  return {
    srcPath: BRIDGE_DEVICE_SOURCE,
    endowments,
    deliverInbound(...args) {
      if (!inboundCallback) {
        throw new KernelError(
          'LIFECYCLE',
          'inboundCallback not yet registered: configure devices.bridge with srcPath, pass endowments as deviceEndowments.bridge, and build the controller first',
        );
      }
      inboundCallback(...args);
    },
  };
}
