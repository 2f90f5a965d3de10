// The comms wire format, as SwingSet's comms vats speak it (so a Crankshaft
// machine and a SwingSet machine can talk). Pure functions, no state.
//
// Every transmission is `${seqNum}:${ackSeqNum}:${body}`: the sender's
// sequence number for this message (or '' when explicit numbers are off)
// and the highest sequence number it has received from the peer. Bodies:
//   deliver:${target}:${result}${:slot}*;${methargs body}
//   resolve:fulfill|reject:${rpid}${:slot}*;${data body}    one per line
//   gc:dropExport|retireExport|retireImport:${rref}         one per line
// Remote refs are written from the recipient's point of view: `ro+N` /
// `rp+N` name something the recipient allocated, `ro-N` / `rp-N` something
// the sender allocated. The bodies are capdata bodies (smallcaps) passed
// through unchanged.

export type RemoteRefType = 'object' | 'promise';

export interface ParsedRemoteRef {
  type: RemoteRefType;
  /** True for `+`: the recipient allocated it. */
  allocatedByRecipient: boolean;
  id: bigint;
}

const REMOTE_REF = /^r([op])([+-])(0|[1-9][0-9]*)$/;

export function parseRemoteRef(rref: string): ParsedRemoteRef {
  const match = REMOTE_REF.exec(rref);
  if (match === null) throw TypeError(`comms: not a remote ref: ${JSON.stringify(rref)}`);
  return {
    type: match[1] === 'o' ? 'object' : 'promise',
    allocatedByRecipient: match[2] === '+',
    id: BigInt(match[3] as string),
  };
}

export function makeRemoteRef(type: RemoteRefType, allocatedByRecipient: boolean, id: bigint | number): string {
  return `r${type === 'object' ? 'o' : 'p'}${allocatedByRecipient ? '+' : '-'}${id}`;
}

/** The same ref as the other side writes it. */
export function flipRemoteRef(rref: string): string {
  const { type, allocatedByRecipient, id } = parseRemoteRef(rref);
  return makeRemoteRef(type, !allocatedByRecipient, id);
}

export interface Frame {
  /** '' when the sender does not number its messages. */
  seqNum: string;
  ackSeqNum: number;
  body: string;
}

export function encodeFrame(seqNum: number | '', ackSeqNum: number, body: string): string {
  return `${seqNum}:${ackSeqNum}:${body}`;
}

export function decodeFrame(message: string): Frame {
  const first = message.indexOf(':');
  if (first < 0) throw TypeError(`comms: received message lacks a seqNum delimiter: ${message}`);
  const second = message.indexOf(':', first + 1);
  if (second < 0) throw TypeError(`comms: received message lacks an ackSeqNum delimiter: ${message}`);
  const ackText = message.slice(first + 1, second);
  if (!/^[0-9]+$/.test(ackText)) throw TypeError(`comms: bad ackSeqNum ${JSON.stringify(ackText)}`);
  return { seqNum: message.slice(0, first), ackSeqNum: Number(ackText), body: message.slice(second + 1) };
}

/** The command word of a frame body: 'deliver', 'resolve' or 'gc'. */
export const commandOf = (body: string): string => body.split(':', 1)[0] as string;

export interface WireCapData {
  body: string;
  slots: string[];
}

const refsSuffix = (slots: readonly string[]): string => slots.map(s => `:${s}`).join('');

export interface WireDelivery {
  target: string;
  /** '' for a sendOnly message. */
  result: string;
  methargs: WireCapData;
}

export function encodeDeliver({ target, result, methargs }: WireDelivery): string {
  return `deliver:${target}:${result}${refsSuffix(methargs.slots)};${methargs.body}`;
}

export function decodeDeliver(body: string): WireDelivery {
  const semi = body.indexOf(';');
  if (semi < 0) throw TypeError(`comms: deliver lacks a semicolon: ${body}`);
  const fields = body.slice(0, semi).split(':');
  if (fields[0] !== 'deliver' || fields.length < 3) throw TypeError(`comms: malformed deliver: ${body}`);
  const [, target, result, ...slots] = fields as [string, string, string, ...string[]];
  parseRemoteRef(target);
  if (result !== '' && parseRemoteRef(result).type !== 'promise') throw TypeError(`comms: deliver result ${result} is not a promise`);
  for (const slot of slots) parseRemoteRef(slot);
  return { target, result, methargs: { body: body.slice(semi + 1), slots } };
}

export interface WireResolution {
  rpid: string;
  rejected: boolean;
  data: WireCapData;
}

export function encodeResolve(resolutions: readonly WireResolution[]): string {
  return resolutions
    .map(({ rpid, rejected, data }) => `resolve:${rejected ? 'reject' : 'fulfill'}:${rpid}${refsSuffix(data.slots)};${data.body}`)
    .join('\n');
}

/**
 * Resolution lines. A data body never holds a raw newline (capdata bodies
 * are JSON, which escapes them), so lines split cleanly.
 */
export function decodeResolve(body: string): WireResolution[] {
  return body.split('\n').map(line => {
    const semi = line.indexOf(';');
    if (semi < 0) throw TypeError(`comms: resolve lacks a semicolon: ${line}`);
    const [word, how, rpid, ...slots] = line.slice(0, semi).split(':');
    if (word !== 'resolve' || (how !== 'fulfill' && how !== 'reject') || rpid === undefined) {
      throw TypeError(`comms: malformed resolve: ${line}`);
    }
    if (parseRemoteRef(rpid).type !== 'promise') throw TypeError(`comms: resolve of non-promise ${rpid}`);
    for (const slot of slots) parseRemoteRef(slot);
    return { rpid, rejected: how === 'reject', data: { body: line.slice(semi + 1), slots } };
  });
}

export type GCKind = 'dropExport' | 'retireExport' | 'retireImport';
export const GC_KINDS: readonly GCKind[] = ['dropExport', 'retireExport', 'retireImport'];

export interface WireGC {
  kind: GCKind;
  rref: string;
}

export function encodeGC(actions: readonly WireGC[]): string {
  return actions.map(({ kind, rref }) => `gc:${kind}:${rref}`).join('\n');
}

export function decodeGC(body: string): WireGC[] {
  return body.split('\n').map(line => {
    const [word, kind, rref, ...rest] = line.split(':');
    if (word !== 'gc' || rref === undefined || rest.length > 0) throw TypeError(`comms: malformed gc: ${line}`);
    if (!(GC_KINDS as readonly string[]).includes(kind as string)) throw TypeError(`comms: unknown gc type ${kind}`);
    if (parseRemoteRef(rref).type !== 'object') throw TypeError(`comms: gc of non-object ${rref}`);
    return { kind: kind as GCKind, rref };
  });
}
