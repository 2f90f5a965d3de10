// The host half of the mailbox device, shaped like SwingSet's buildMailbox():
// the host builds a state map (mailboxState.ts), puts `srcPath` in
// `devices.mailbox.sourceSpec`, passes `endowments` as the mailbox device's
// endowments, reads the outbound state after each run and hands arriving
// messages and acks to `deliverInbound`. The vattp vat is the device's only
// user; the device itself keeps nothing but the inbound handler.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';
import { toNatural, type MailboxStateMap } from './mailboxState.js';

/** The device's inbound entry: true when something was queued for the kernel. */
export type MailboxInboundCallback = (peer: string, messages: readonly (readonly [unknown, unknown])[], ack: unknown) => boolean;

export interface MailboxDeviceEndowments extends MailboxStateMap {
  registerInboundCallback(callback: MailboxInboundCallback): void;
}

export interface HostMailbox {
  srcPath: string;
  endowments: MailboxDeviceEndowments;
  /**
   * Messages (`[msgnum, body]` pairs, duplicates welcome) and the peer's
   * latest ack. True if the kernel has work: call `controller.run()`.
   */
  deliverInbound(peer: string, messages: readonly (readonly [unknown, unknown])[], ack: unknown): boolean;
}

/** The compiled device (vats/mailbox/device-mailbox.ts). */
export const MAILBOX_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/mailbox/device-mailbox.js', import.meta.url));

export function buildMailbox(state: MailboxStateMap): HostMailbox {
  let inbound: MailboxInboundCallback | undefined;
  const endowments: MailboxDeviceEndowments = {
    registerInboundCallback(callback) {
      if (typeof callback !== 'function') throw new KernelError('BAD_ARGUMENT', 'mailbox device registered a non-function callback');
      inbound = callback;
    },
    add: (peer, msgnum, body) => state.add(`${peer}`, toNatural(msgnum, 'msgnum'), `${body}`),
    remove: (peer, msgnum) => state.remove(`${peer}`, toNatural(msgnum, 'msgnum')),
    setAcknum: (peer, msgnum) => state.setAcknum(`${peer}`, toNatural(msgnum, 'ack')),
  };
  return {
    srcPath: MAILBOX_DEVICE_SOURCE,
    endowments,
    deliverInbound(peer, messages, ack) {
      if (inbound === undefined) {
        throw new KernelError(
          'LIFECYCLE',
          'mailbox deliverInbound() before the mailbox device started: configure devices.mailbox with srcPath and pass endowments as deviceEndowments.mailbox',
        );
      }
      try {
        return Boolean(inbound(peer, messages, ack));
      } catch (err) {
        throw new KernelError('BAD_ARGUMENT', `error in inboundCallback: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    },
  };
}
