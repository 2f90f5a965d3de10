// The vattp vat: ordered, acknowledged delivery between this machine's comms
// vat and a peer's, over the mailbox device (or anything shaped like it, such
// as a loopbox sender). For each remote name it numbers outbound messages
// (1, 2, ...) into the device's outbox, delivers each inbound message to the
// comms receiver once (numbers at or below the last delivered are
// duplicates), acks what it delivered, and removes outbox entries the peer
// has acked. The bootstrap wires it up as under SwingSet:
//   D(devices.mailbox).registerInboundHandler(vats.vattp);
//   await E(vats.vattp).registerMailboxDevice(devices.mailbox);
//   const { transmitter, setReceiver } = await E(vats.vattp).addRemote(name);
//   await E(vats.comms).addRemote(name, transmitter, setReceiver);
// makeNetworkHost(allegedName, comms) offers the same over a connection
// object (`send(msg)`) instead of a device.
// State lives in durable kinds and baggage, so the vat survives upgrade.
import { E, Far } from '@endo/far';
import { provide, type Baggage, type ScalarMapStore, type VatData } from '../lib/vatData.js';

interface MultiContext<S, F> {
  state: S;
  facets: F;
}
type MultiBehavior<S, F> = Record<string, (context: MultiContext<S, F>, ...args: never[]) => unknown>;

interface VattpVatData extends VatData {
  defineDurableKindMulti<S, A extends unknown[], F>(
    kindHandle: object,
    init: (...args: A) => S,
    facets: Record<string, MultiBehavior<S, F>>,
  ): (...args: A) => F;
}

export interface VattpVatPowers {
  D<T>(node: unknown): T;
  VatData: VattpVatData;
}

/** What vattp calls on its device (the mailbox device, or a loopbox sender). */
interface MailboxLikeDevice {
  add(peer: string, msgnum: number, body: string): void;
  remove(peer: string, msgnum: number): void;
  ackInbound(peer: string, msgnum: number): void;
}

interface Receiver {
  receive(message: string): unknown;
}

interface MailboxState {
  name: string;
  outboundHighestAdded: number;
  outboundHighestRemoved: number;
  inboundHighestDelivered: number;
  inboundReceiver: Receiver | null;
}
interface MailboxFacets {
  transmitter: { transmit(message: string): void };
  setReceiver: { setReceiver(receiver: Receiver): void };
  inbound: { deliverMessages(messages: readonly (readonly [number, string])[]): void; deliverAck(ack: number): void };
}

interface NetworkHostState {
  allegedName: string;
  comms: unknown;
  console: unknown;
  connection: unknown;
  connectionName: string;
  exportedObjects: ScalarMapStore<string, unknown>;
  nextAddressNumber: bigint;
  receiver: Receiver | null;
  remoteLocator: unknown;
}
interface NetworkHostFacets {
  host: { publish(obj: unknown): string; lookup(address: string): unknown };
  commsSetReceiver: { setReceiver(receiver: Receiver): void };
  commsTransmitter: { transmit(message: string): void };
  localLocator: { lookup(address: string): unknown };
  handler: Record<string, (...args: unknown[]) => unknown>;
}

const asNumber = (value: unknown, what: string): number => {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw TypeError(`vattp: ${what} must be a non-negative integer`);
  return n;
};

export function buildRootObject(vatPowers: VattpVatPowers, _vatParameters: unknown, baggage: Baggage): object {
  const { D, VatData: vatData } = vatPowers;
  const kindHandle = (name: string): object => provide(baggage, `${name}_kindHandle`, () => vatData.makeKindHandle(name));

  let mailboxDevice: unknown = baggage.has('mailboxDevice') ? baggage.get('mailboxDevice') : undefined;
  const device = (): MailboxLikeDevice => {
    if (mailboxDevice === undefined) throw Error('vattp: no mailbox device (call registerMailboxDevice first)');
    return D<MailboxLikeDevice>(mailboxDevice);
  };

  const makeMailbox = vatData.defineDurableKindMulti<MailboxState, [string], MailboxFacets>(
    kindHandle('mailbox'),
    name => ({ name, outboundHighestAdded: 0, outboundHighestRemoved: 0, inboundHighestDelivered: 0, inboundReceiver: null }),
    {
      transmitter: {
        transmit({ state }, message: string) {
          const num = state.outboundHighestAdded + 1;
          device().add(state.name, num, message);
          state.outboundHighestAdded = num;
        },
      },
      setReceiver: {
        setReceiver({ state }, receiver: Receiver) {
          if (state.inboundReceiver !== null) throw Error(`vattp: setReceiver for ${state.name} may be called only once`);
          if (!receiver) throw Error('vattp: setReceiver needs a receiver');
          state.inboundReceiver = receiver;
        },
      },
      inbound: {
        deliverMessages({ state }, messages: readonly (readonly [number, string])[]) {
          const { name, inboundReceiver } = state;
          let highest = state.inboundHighestDelivered;
          for (const [rawNum, body] of messages) {
            const num = asNumber(rawNum, 'inbound msgnum');
            if (num <= highest) continue; // seen before: the host may redeliver
            // Not acked, so the peer keeps it in its outbox until we can take it.
            if (inboundReceiver === null) break;
            void E(inboundReceiver).receive(body);
            highest = num;
            device().ackInbound(name, num);
          }
          if (highest > state.inboundHighestDelivered) state.inboundHighestDelivered = highest;
        },
        deliverAck({ state }, rawAck: number) {
          const ack = asNumber(rawAck, 'ack');
          let removed = state.outboundHighestRemoved;
          while (removed < state.outboundHighestAdded && removed < ack) {
            removed += 1;
            device().remove(state.name, removed);
          }
          if (removed > state.outboundHighestRemoved) state.outboundHighestRemoved = removed;
        },
      },
    },
  );

  const mailboxes = provide(baggage, 'mailboxes', () =>
    vatData.makeScalarBigMapStore<string, MailboxFacets>('mailboxes', { durable: true }),
  );
  const provideMailbox = (name: string): MailboxFacets => {
    if (!mailboxes.has(name)) mailboxes.init(name, makeMailbox(name));
    return mailboxes.get(name);
  };

  const hostNames = provide(baggage, 'networkHostNames', () =>
    vatData.makeScalarBigSetStore<string>('networkHostNames', { durable: true }),
  );
  const makeNetworkHost = vatData.defineDurableKindMulti<NetworkHostState, [string, unknown, unknown], NetworkHostFacets>(
    kindHandle('networkHost'),
    (allegedName, comms, hostConsole) => {
      if (hostNames.has(allegedName)) throw Error(`vattp: already have a network host for ${allegedName}`);
      hostNames.add(allegedName);
      const count = (baggage.has('networkHostCounter') ? (baggage.get('networkHostCounter') as bigint) : 0n) + 1n;
      if (baggage.has('networkHostCounter')) baggage.set('networkHostCounter', count);
      else baggage.init('networkHostCounter', count);
      const connectionName = `connection-${count}`;
      return {
        allegedName,
        comms,
        console: hostConsole,
        connection: null,
        connectionName,
        exportedObjects: vatData.makeScalarBigMapStore<string, unknown>(`network host exports: ${connectionName}`, {
          durable: true,
        }),
        nextAddressNumber: 1n,
        receiver: null,
        remoteLocator: null,
      };
    },
    {
      host: {
        publish({ state }, obj: unknown) {
          const address = `/alleged-name/${state.allegedName}/egress/${state.nextAddressNumber}`;
          state.nextAddressNumber += 1n;
          state.exportedObjects.init(address, obj);
          return address;
        },
        lookup({ state }, address: string) {
          return E(state.remoteLocator as { lookup(a: string): unknown }).lookup(address);
        },
      },
      commsSetReceiver: {
        setReceiver({ state }, receiver: Receiver) {
          if (state.receiver !== null) throw Error('vattp: setReceiver may be called only once');
          if (!receiver) throw Error('vattp: setReceiver needs a receiver');
          state.receiver = receiver;
        },
      },
      commsTransmitter: {
        transmit({ state }, message: string) {
          void E(state.connection as { send(m: string): unknown }).send(message);
        },
      },
      localLocator: {
        lookup({ state }, address: string) {
          return state.exportedObjects.get(address);
        },
      },
      handler: {
        async onOpen({ state, facets }, connection: unknown) {
          if (state.connection !== null) throw Error(`vattp: host ${state.connectionName} already opened`);
          state.connection = connection;
          const comms = state.comms as {
            addRemote(n: string, tx: unknown, rx: unknown): unknown;
            addEgress(n: string, i: number, o: unknown): unknown;
            addIngress(n: string, i: number): unknown;
          };
          await E(comms).addRemote(state.connectionName, facets.commsTransmitter, facets.commsSetReceiver);
          await E(comms).addEgress(state.connectionName, 0, facets.localLocator);
          state.remoteLocator = await E(comms).addIngress(state.connectionName, 0);
        },
        onReceive({ state }, _connection: unknown, message: string) {
          if (state.receiver === null) throw Error('vattp: message received before comms set its receiver');
          void E(state.receiver).receive(message);
        },
        onClose({ state }) {
          state.receiver = null;
        },
        infoMessage({ state }, ...args: unknown[]) {
          if (state.console === null) console.log('VatTP connection info:', ...args);
          else void E(state.console as { log(...a: unknown[]): unknown }).log('VatTP connection info:', ...args);
        },
      },
    },
  );

  return Far('vat-tp handler', {
    registerMailboxDevice(newDevice: unknown) {
      if (baggage.has('mailboxDevice')) baggage.set('mailboxDevice', newDevice);
      else baggage.init('mailboxDevice', newDevice);
      mailboxDevice = newDevice;
    },
    addRemote(name: string) {
      if (mailboxes.has(name)) throw Error(`vattp: already have remote ${name}`);
      const { transmitter, setReceiver } = provideMailbox(name);
      return harden({ transmitter, setReceiver });
    },
    // From the mailbox device: unknown names get a mailbox, as in SwingSet.
    deliverInboundMessages(name: string, messages: readonly (readonly [number, string])[]) {
      provideMailbox(name).inbound.deliverMessages(messages);
    },
    deliverInboundAck(name: string, ack: number) {
      provideMailbox(name).inbound.deliverAck(ack);
    },
    // A console presence to log to may be given; the vat's own console is not durable.
    makeNetworkHost(allegedName: string, comms: unknown, hostConsole: unknown = null) {
      const { host, handler } = makeNetworkHost(allegedName, comms, hostConsole);
      return harden({ host, handler });
    },
  });
}
