// The host-side mailbox state SwingSet hosts keep outside the kernel: for
// each peer, the outbound messages not yet acknowledged and the number of
// the last inbound message processed. Chains store its export
// (`exportMailboxData`) as JSON, so the shape and key order are SwingSet's:
//   { [peer]: { inboundAck: number, outbox: [[msgnum, body], ...] } }
// with peers in the order they were first touched and outboxes sorted by
// message number.
import { KernelError } from '../shared/errors.js';

/** One peer's half of the mailbox, as SwingSet keeps it in its Map. */
export interface PeerMailbox {
  ack: bigint;
  outbox: Map<bigint, string>;
}

/** What buildMailboxStateMap accepts (a Map, or anything shaped like one). */
export interface MailboxStateStore {
  has(peer: string): boolean;
  get(peer: string): PeerMailbox | undefined;
  set(peer: string, mailbox: PeerMailbox): void;
}

export interface ExportedPeerMailbox {
  inboundAck: number;
  outbox: [number, string][];
}
export type MailboxData = Record<string, ExportedPeerMailbox>;

/** The three writes the mailbox device makes (its endowments call these). */
export interface MailboxStateMap {
  add(peer: string, msgnum: bigint | number, body: string): void;
  remove(peer: string, msgnum: bigint | number): void;
  setAcknum(peer: string, msgnum: bigint | number): void;
}

/** A natural number as bigint (number or bigint in), like @endo/nat's Nat. */
export function toNatural(value: unknown, what: string): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new KernelError('BAD_ARGUMENT', `mailbox: ${what} must be a non-negative integer, got ${typeof value} ${String(value)}`);
}

function providePeer(state: MailboxStateStore, peer: string): PeerMailbox {
  let mailbox = state.get(peer);
  if (mailbox === undefined) {
    mailbox = { ack: 0n, outbox: new Map() };
    state.set(peer, mailbox);
  }
  return mailbox;
}

/** The device's view of a mailbox state (a fresh Map unless one is given). */
export function buildMailboxStateMap(state: MailboxStateStore = new Map<string, PeerMailbox>()): MailboxStateMap {
  return harden({
    add(peer, msgnum, body) {
      providePeer(state, `${peer}`).outbox.set(toNatural(msgnum, 'msgnum'), `${body}`);
    },
    remove(peer, msgnum) {
      providePeer(state, `${peer}`).outbox.delete(toNatural(msgnum, 'msgnum'));
    },
    setAcknum(peer, msgnum) {
      providePeer(state, `${peer}`).ack = toNatural(msgnum, 'ack');
    },
  });
}

/** One peer's record in exported form (outbox sorted by msgnum). */
export function exportPeerMailbox(mailbox: PeerMailbox): { ack: number; outbox: [number, string][] } {
  const outbox: [number, string][] = [...mailbox.outbox].map(([num, body]) => [Number(num), body]);
  outbox.sort((a, b) => a[0] - b[0]);
  return { ack: Number(mailbox.ack), outbox };
}

/** The whole state as JSON-ready data, peers in the Map's order. */
export function exportMailboxData(state: Map<string, PeerMailbox>): MailboxData {
  const data: MailboxData = {};
  for (const [peer, mailbox] of state) {
    const { ack, outbox } = exportPeerMailbox(mailbox);
    data[peer] = { inboundAck: ack, outbox };
  }
  return harden(data);
}

/** A Map-backed state rebuilt from exported data (a host restarting from its saved JSON). */
export function makeEphemeralMailboxStorage(data: MailboxData = {}): Map<string, PeerMailbox> {
  const state = new Map<string, PeerMailbox>();
  for (const peer of Object.getOwnPropertyNames(data)) {
    const entry = data[peer] as ExportedPeerMailbox;
    const outbox = new Map<bigint, string>();
    for (const [num, body] of entry.outbox) outbox.set(toNatural(num, 'outbox msgnum'), body);
    state.set(peer, { ack: toNatural(entry.inboundAck, 'inboundAck'), outbox });
  }
  return state;
}
