// The mailbox device: the kernel-side half of the mailbox SwingSet hosts
// use to talk to other machines. Outbound, vattp calls add/remove/ackInbound
// and the device writes them straight into the host's state map (its
// endowments). Inbound, the host calls deliverInbound (buildMailbox in
// src/devices/mailboxDevice.ts) and the device sends the messages and the
// ack to the registered handler (the vattp vat), as sendOnly messages:
//   deliverInboundMessages(peer, [[msgnum, body], ...])
//   deliverInboundAck(peer, ack)
// Device state is only { inboundHandler }, so a restarted kernel keeps it.
import { Far } from '@endo/far';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { MailboxDeviceEndowments } from '../../src/devices/mailboxDevice.js';

type Handler = object;

const isNatural = (value: unknown): boolean =>
  (typeof value === 'bigint' && value >= 0n) || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);

export interface MailboxDeviceRoot {
  registerInboundHandler(handler: Handler): void;
  unregisterInboundHander(): void;
  add(peer: unknown, msgnum: unknown, body: unknown): void;
  remove(peer: unknown, msgnum: unknown): void;
  ackInbound(peer: unknown, msgnum: unknown): void;
}

export function buildRootDeviceNode(tools: RootDeviceNodeTools): MailboxDeviceRoot {
  const { SO, getDeviceState, setDeviceState } = tools;
  const endowments = tools.endowments as Partial<MailboxDeviceEndowments> | undefined;
  if (typeof endowments?.registerInboundCallback !== 'function' || typeof endowments.add !== 'function') {
    throw TypeError('mailbox device: endowments must come from buildMailbox() (registerInboundCallback is missing)');
  }
  const host = endowments as MailboxDeviceEndowments;
  const stored = getDeviceState() as { inboundHandler?: Handler } | undefined;
  let inboundHandler: Handler | undefined = stored?.inboundHandler;

  const requireHandler = (what: string): Handler => {
    if (inboundHandler === undefined) throw Error(`mailbox device: ${what} before registerInboundHandler`);
    return inboundHandler;
  };

  host.registerInboundCallback((peer, messages, ack) => {
    if (typeof peer !== 'string') throw TypeError(`mailbox device: peer must be a string, got ${typeof peer}`);
    if (!Array.isArray(messages)) throw TypeError('mailbox device: messages must be an array of [msgnum, body]');
    for (const message of messages) {
      if (!Array.isArray(message) || !isNatural(message[0]) || typeof message[1] !== 'string') {
        throw TypeError('mailbox device: each message must be [msgnum, body string]');
      }
    }
    if (!isNatural(ack)) throw TypeError(`mailbox device: ack must be a non-negative integer, got ${String(ack)}`);
    const handler = requireHandler(`deliverInbound(${peer})`);
    if (messages.length > 0) {
      SO(handler)['deliverInboundMessages']?.(peer, harden(messages.map(([num, body]) => [num, body])));
    }
    SO(handler)['deliverInboundAck']?.(peer, ack);
    return true;
  });

  // Errors from the host's state map come back as the device call's error.
  const write = (what: string, thunk: () => void): void => {
    try {
      thunk();
    } catch (err) {
      throw Error(`mailbox device: error in ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return Far('root', {
    registerInboundHandler(handler: Handler) {
      if (inboundHandler !== undefined) throw Error('mailbox device: inbound handler already registered');
      inboundHandler = handler;
      setDeviceState(harden({ inboundHandler }));
    },
    // (sic: SwingSet's spelling, kept for callers)
    unregisterInboundHander() {
      inboundHandler = undefined;
    },
    add(peer: unknown, msgnum: unknown, body: unknown) {
      write('add', () => host.add(`${String(peer)}`, msgnum as bigint, `${String(body)}`));
    },
    remove(peer: unknown, msgnum: unknown) {
      write('remove', () => host.remove(`${String(peer)}`, msgnum as bigint));
    },
    ackInbound(peer: unknown, msgnum: unknown) {
      write('ackInbound', () => host.setAcknum(`${String(peer)}`, msgnum as bigint));
    },
  });
}
