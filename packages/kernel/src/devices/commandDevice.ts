// The host half of the command device, shaped like SwingSet's
// buildCommand(broadcastCallback) (its default export): the host puts
// `srcPath` in its config (`devices.command.sourceSpec`), passes
// `endowments` as the command device's endowments, and hands each request
// (a JSON value) to `inboundCommand(obj)`, which returns a promise for the
// vat's answer. Broadcasts from vats reach `broadcastCallback(obj)`.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';
import { toNatural } from './jsonable.js';

export type CommandBroadcastCallback = (obj: unknown) => void;
export type CommandInboundCallback = (count: bigint, bodyString: string) => void;

export interface CommandDeviceEndowments {
  /** Called once by the device when it starts. */
  registerInboundCallback(inbound: CommandInboundCallback): void;
  /** Settles request `count` with the vat's answer (JSON text, or undefined). */
  deliverResponse(count: unknown, isReject: unknown, responseString: string | undefined): void;
  /** A broadcast from a vat, as JSON text. */
  sendBroadcast(bodyString: string): void;
}

export interface HostCommand {
  /** Source of the command device, for `devices.command.sourceSpec`. */
  srcPath: string;
  /** The command device's endowments (`deviceEndowments.command`). */
  endowments: CommandDeviceEndowments;
  /**
   * Delivers `obj` (JSON) to the vat handler as inbound(count, obj) and
   * returns a promise for its response: fulfilled or rejected as the vat
   * says in sendResponse. The vat sees the request on a later crank: call
   * `controller.run()`, then commit.
   */
  inboundCommand(obj: unknown): Promise<unknown>;
}

/** The compiled device (vats/command/device-command.ts -> dist/vats/command/device-command.js). */
export const COMMAND_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/command/device-command.js', import.meta.url));

interface PendingResponse {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

export function buildCommand(broadcastCallback: CommandBroadcastCallback): HostCommand {
  if (typeof broadcastCallback !== 'function') {
    throw new KernelError('BAD_ARGUMENT', 'buildCommand(broadcastCallback): broadcastCallback must be provided.');
  }
  let inboundCallback: CommandInboundCallback | undefined;
  // Requests are numbered from 0n per host process, as in SwingSet; the
  // count names a request only while its answer is awaited.
  let nextCount = 0n;
  const responses = new Map<bigint, PendingResponse>();

  const endowments: CommandDeviceEndowments = {
    registerInboundCallback(inbound) {
      if (inboundCallback) throw Error('registerInboundCallback called more than once');
      if (typeof inbound !== 'function') throw TypeError('command device registered a non-function inbound callback');
      inboundCallback = inbound;
    },
    deliverResponse(kCount, kIsReject, responseString) {
      const count = toNatural(kCount, 'command response count');
      const obj: unknown = responseString === undefined ? undefined : JSON.parse(`${responseString}`);
      const pending = responses.get(count);
      if (!pending) throw Error(`unknown response index ${count}`);
      responses.delete(count);
      if (kIsReject) pending.reject(obj);
      else pending.resolve(obj);
    },
    sendBroadcast(bodyString) {
      broadcastCallback(JSON.parse(`${bodyString}`));
    },
  };

  return {
    srcPath: COMMAND_DEVICE_SOURCE,
    endowments,
    inboundCommand(obj) {
      if (!inboundCallback) {
        throw new KernelError(
          'LIFECYCLE',
          'inboundCommand before registerInboundCallback: configure devices.command with srcPath, pass endowments as deviceEndowments.command, and build the controller first',
        );
      }
      const count = nextCount;
      nextCount += 1n;
      const promise = new Promise<unknown>((resolve, reject) => responses.set(count, { resolve, reject }));
      try {
        inboundCallback(count, JSON.stringify(obj));
      } catch (err) {
        // No vat will answer: say so rather than leave the host waiting.
        responses.get(count)?.reject(err);
        responses.delete(count);
      }
      return promise;
    },
  };
}
