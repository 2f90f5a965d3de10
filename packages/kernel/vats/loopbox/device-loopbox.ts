// The loopbox device: a mailbox stand-in that joins two (or more) vattp vats
// inside one kernel, for testing comms without a second machine. Each
// sender name gets a device node shaped like the mailbox device
// (add/remove/ackInbound); add(peer, msgnum, body) hands the body to peer's
// registered handler as deliverInboundMessages(sender, [[n, body]]), with n
// counting that sender's messages from 1. In 'queued' mode messages wait
// until the host calls passOneMessage() (buildLoopbox in
// src/devices/loopboxDevice.ts), one per call, so tests can choose the
// order in which machines see each other's messages.
// deviceParameters: { senders: string[] }.
import { Far } from '@endo/far';
import type { RootDeviceNodeTools } from '../../src/devices/deviceSlots.js';
import type { LoopboxDeviceEndowments } from '../../src/devices/loopboxDevice.js';

type Handler = object;
interface LoopboxState {
  queuedMessages: [Handler, string, number, string][];
  counts: Record<string, number>;
  inboundHandlers: Record<string, Handler>;
}

export interface LoopboxDeviceRoot {
  registerInboundHandler(name: string, handler: Handler): void;
  getSender(name: string): object | undefined;
}

export function buildRootDeviceNode(tools: RootDeviceNodeTools): LoopboxDeviceRoot {
  const { SO, getDeviceState, setDeviceState, deviceParameters, serialize } = tools;
  const endowments = tools.endowments as Partial<LoopboxDeviceEndowments> | undefined;
  if (typeof endowments?.registerPassOneMessage !== 'function') {
    throw TypeError('loopbox device: endowments must come from buildLoopbox() (registerPassOneMessage is missing)');
  }
  const { deliverMode } = endowments;
  const senderNames = deviceParameters['senders'];
  if (!Array.isArray(senderNames) || !senderNames.every(n => typeof n === 'string')) {
    throw TypeError('loopbox device: deviceParameters.senders must be an array of names');
  }

  const load = (): LoopboxState => getDeviceState() as LoopboxState;
  const save = (next: LoopboxState): void => setDeviceState(harden(next));
  if (getDeviceState() === undefined) {
    save({ queuedMessages: [], counts: Object.fromEntries(senderNames.map(n => [n, 1])), inboundHandlers: {} });
  }

  const makeSender = (sender: string): object =>
    Far('sender', {
      add(peer: string, _msgnum: unknown, body: string) {
        const current = load();
        const handler = current.inboundHandlers[peer];
        if (handler === undefined) throw Error(`loopbox: unregistered peer ${JSON.stringify(peer)}`);
        const count = current.counts[sender] as number;
        const next: LoopboxState = { ...current, counts: { ...current.counts, [sender]: count + 1 } };
        if (deliverMode === 'immediate') SO(handler)['deliverInboundMessages']?.(sender, harden([[count, body]]));
        else next.queuedMessages = [...current.queuedMessages, [handler, sender, count, `${body}`]];
        save(next);
      },
      // Nothing is kept for retransmission, so acks have nothing to clear.
      remove() {},
      ackInbound() {},
    });
  const senders = new Map<string, object>(senderNames.map(name => [name, makeSender(name)]));
  // Serializing them now gives the senders the same device refs (d+1, d+2 ...) on every start.
  serialize(harden([...senders.values()]));

  endowments.registerPassOneMessage(() => {
    const current = load();
    const [first, ...rest] = current.queuedMessages;
    if (first === undefined) return false;
    const [handler, sender, count, body] = first;
    SO(handler)['deliverInboundMessages']?.(sender, harden([[count, body]]));
    save({ ...current, queuedMessages: rest });
    return true;
  });

  return Far('root', {
    registerInboundHandler(name: string, handler: Handler) {
      const current = load();
      if (current.inboundHandlers[name] !== undefined) throw Error(`loopbox: handler for ${name} already registered`);
      save({ ...current, inboundHandlers: { ...current.inboundHandlers, [name]: handler } });
    },
    getSender(name: string) {
      return senders.get(name);
    },
  });
}
