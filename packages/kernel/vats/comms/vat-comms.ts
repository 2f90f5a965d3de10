// The comms vat: a raw (setup) vat that stands in, in this kernel, for the
// objects and promises of other machines, and for this kernel's objects on
// theirs. Like SwingSet's it runs on a local worker with no transcript
// (everything it knows is in the vatstore, state.ts) and speaks SwingSet's
// wire format (wire.ts) through a transmitter per remote, usually vattp.
//
// Its root object (o+0), the controller, offers:
//   addRemote(name, transmitter, setReceiver)  sends setReceiver~.setReceiver(receiver)
//   addEgress(name, index, obj)                the remote reaches obj as its ingress `index`
//   addIngress(name, index, iface?)            -> presence of the remote's egress `index`
// Each receiver takes receive(message) from the transport.
import { kser, kslot, krefOf, kunser } from '../../src/shared/kmarshal.js';
import { makeCommsGC, type KernelGCKind } from './gc.js';
import { makeRouting, type CommsSyscall } from './routing.js';
import { makeCommsState, type CapData, type CommsSyscallStore } from './state.js';
import { commandOf, decodeFrame, encodeFrame, makeRemoteRef } from './wire.js';

const CONTROLLER = 'o+0';

type Delivery =
  | ['startVat', CapData]
  | ['message', string, { methargs: CapData; result?: string | null }]
  | ['notify', [string, boolean, CapData][]]
  | ['dropExports' | 'retireExports' | 'retireImports', string[]]
  | ['bringOutYourDead']
  | ['stopVat', CapData];

const natural = (value: unknown, what: string): number => {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw TypeError(`comms: ${what} must be a non-negative integer`);
  return n;
};

export default function setup(syscall: CommsSyscall & CommsSyscallStore): (delivery: Delivery) => void {
  const state = makeCommsState(syscall);

  const transmit = (remoteID: string, body: string): void => {
    const remote = state.getRemote(remoteID);
    const seqNum = state.counters().explicitSeqNums ? remote.sendSeq : '';
    state.putRemote(remoteID, { ...remote, sendSeq: remote.sendSeq + 1 });
    syscall.send(remote.transmitter, kser(['transmit', [encodeFrame(seqNum, remote.recvSeq, body)]]));
  };
  const routing = makeRouting(state, syscall, transmit);
  const gc = makeCommsGC(state, syscall, transmit);

  const resolveUndefined = (result: string | null | undefined): void => {
    if (result) syscall.resolve([[result, false, kser(undefined)]]);
  };

  function controller(methargs: CapData, result: string | null | undefined): void {
    const [method, args] = kunser(methargs) as [string, unknown[]];
    const remoteIDOf = (name: unknown): string => {
      const remoteID = state.remoteIDForName(`${String(name)}`);
      if (remoteID === undefined) throw Error(`comms: unknown remote name ${String(name)}`);
      return remoteID;
    };
    switch (method) {
      case 'addRemote': {
        const [name, transmitter, setReceiver] = args;
        const { receiver } = state.addRemote(`${String(name)}`, krefOf(transmitter));
        syscall.send(krefOf(setReceiver), kser(['setReceiver', [kslot(receiver)]]));
        resolveUndefined(result);
        return;
      }
      case 'addEgress': {
        const [name, index, obj] = args;
        const remoteID = remoteIDOf(name);
        const id = natural(index, 'addEgress index');
        const lref = routing.localForKernel(krefOf(obj));
        // The remote writes it `ro+index` (we allocated it, from its side).
        state.addMapping(remoteID, makeRemoteRef('object', true, id), lref);
        state.setReachable(remoteID, lref);
        const remote = state.getRemote(remoteID);
        if (remote.nextObject <= id) state.putRemote(remoteID, { ...remote, nextObject: id + 1 });
        resolveUndefined(result);
        return;
      }
      case 'addIngress': {
        const [name, index, iface] = args;
        const remoteID = remoteIDOf(name);
        const lref = routing.localForRemote(remoteID, makeRemoteRef('object', false, natural(index, 'addIngress index')));
        const vref = routing.kernelForLocal(lref);
        if (result) syscall.resolve([[result, false, kser(kslot(vref, typeof iface === 'string' ? iface : undefined))]]);
        return;
      }
      default:
        throw Error(`comms: controller method ${String(method)} is not available`);
    }
  }

  function receive(remoteID: string, methargs: CapData, result: string | null | undefined): void {
    resolveUndefined(result);
    try {
      const [method, [message]] = kunser(methargs) as [string, [unknown]];
      if (method !== 'receive' || typeof message !== 'string') throw Error(`comms: receiver got ${String(method)}`);
      const { seqNum, ackSeqNum, body } = decodeFrame(message);
      const remote = state.getRemote(remoteID);
      const expected = remote.recvSeq + 1;
      if (seqNum !== '' && seqNum !== `${expected}`) throw Error(`comms: from ${remoteID} expected seqNum ${expected}, got ${seqNum}`);
      state.putRemote(remoteID, { ...remote, recvSeq: expected });
      routing.ackFromRemote(remoteID, ackSeqNum);
      const command = commandOf(body);
      if (command === 'deliver') routing.deliverFromRemote(remoteID, body);
      else if (command === 'resolve') routing.resolveFromRemote(remoteID, body);
      else if (command === 'gc') gc.gcFromRemote(remoteID, body, ackSeqNum);
      else throw Error(`comms: unrecognized command ${JSON.stringify(command)}`);
    } catch (err) {
      // A bad message from a peer must not kill the vat (SwingSet does the same).
      console.log(`comms: delivery from remote ${remoteID} failed:`, err);
    }
  }

  function startVat(vatParameters: CapData): void {
    const params = (kunser(vatParameters) ?? {}) as { identifierBase?: unknown; sendExplicitSeqNums?: unknown };
    if (!state.isInitialized()) {
      state.initialize(params.identifierBase === undefined ? 0 : natural(params.identifierBase, 'identifierBase'), true);
      state.setMeta(CONTROLLER, 'controller');
    }
    if (params.sendExplicitSeqNums !== undefined) state.setExplicitSeqNums(Boolean(params.sendExplicitSeqNums));
  }

  function dispatch(delivery: Delivery): void {
    switch (delivery[0]) {
      case 'startVat':
        startVat(delivery[1]);
        break;
      case 'message': {
        const [, target, { methargs, result }] = delivery;
        if (target === CONTROLLER) {
          controller(methargs, result);
          break;
        }
        const meta = state.getMeta(target);
        if (meta !== undefined) {
          receive(meta, methargs, result);
          break;
        }
        for (const slot of methargs.slots) {
          if (slot === CONTROLLER || state.getMeta(slot) !== undefined) throw Error(`comms: meta-object ${slot} may not be sent`);
        }
        routing.sendFromKernel(target, methargs, result ?? undefined);
        break;
      }
      case 'notify':
        routing.resolveFromKernel(delivery[1]);
        break;
      case 'dropExports':
      case 'retireExports':
      case 'retireImports':
        gc.gcFromKernel(delivery[0] as KernelGCKind, delivery[1]);
        break;
      case 'bringOutYourDead':
      case 'stopVat':
        break;
      default:
        throw Error(`comms: unknown delivery type ${String((delivery as unknown[])[0])}`);
    }
    gc.processGC();
  }
  return harden(dispatch);
}
