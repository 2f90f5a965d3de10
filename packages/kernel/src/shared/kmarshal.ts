/// <reference types="ses" />
// Token-only marshalling for the kernel and the host API. Values cross the
// host/kernel boundary as capdata whose slots are krefs; `kslot` makes a
// stand-in (a Far object or a promise) that serializes back to its kref.
// The wire format (smallcaps bodies, untagged errors) is SwingSet's, since
// these bodies end up in vat transcripts.
import { Far, passStyleOf } from '@endo/far';
import { makeMarshal } from '@endo/marshal';

/** Capdata whose slots are krefs (or vrefs, for vat-side data). */
export interface CapData {
  body: string;
  slots: string[];
}

export class KmarshalError extends Error {
  readonly code: 'BAD_KREF' | 'NOT_A_KSLOT';
  constructor(code: KmarshalError['code'], message: string) {
    super(message);
    this.name = 'KmarshalError';
    this.code = code;
  }
}

/** A kslot object stand-in: a Far remotable that knows its kref. */
export interface KslotObject {
  getKref(): string;
  iface(): string;
}

// Promise stand-ins are real promises; their kref is remembered here rather
// than on the promise, so a hardened promise carries no extra properties.
const promiseKrefs = new WeakMap<object, string>();

// Prefixes of promise refs, kernel (kp), vat (p+/p-) and comms (lp, rp).
const isPromiseRef = (ref: string): boolean => /^(kp|p|lp|rp)/.test(ref);

const ALLEGED_PREFIX = 'Alleged: ';

/**
 * A stand-in for `kref`. Promise refs become a settled promise, everything
 * else a Far object. `iface` is the interface name shown in the body; the
 * "Alleged: " prefix marshal adds on the way out is dropped on the way in so
 * that a round trip keeps the body unchanged.
 */
export function kslot(kref: string, iface: string = 'undefined'): KslotObject | Promise<string> {
  if (typeof kref !== 'string') {
    throw new KmarshalError('BAD_KREF', `kslot needs a string kref, got ${typeof kref}`);
  }
  const name = iface.startsWith(ALLEGED_PREFIX) ? iface.slice(ALLEGED_PREFIX.length) : iface;
  if (isPromiseRef(kref)) {
    const standin = Promise.resolve(`${kref} stand in`);
    promiseKrefs.set(standin, kref);
    return harden(standin);
  }
  return Far(name, {
    iface: () => name,
    getKref: () => kref,
  });
}

/** The kref a kslot stand-in stands for; throws for anything else. */
export function krefOf(value: unknown): string {
  const style: string = passStyleOf(value as never);
  if (style === 'promise') {
    const kref = promiseKrefs.get(value as object);
    if (kref === undefined) {
      throw new KmarshalError('NOT_A_KSLOT', 'krefOf: this promise was not made by kslot');
    }
    return kref;
  }
  if (style === 'remotable') {
    const getKref = (value as Partial<KslotObject>).getKref;
    if (typeof getKref !== 'function') {
      throw new KmarshalError('NOT_A_KSLOT', 'krefOf: this remotable was not made by kslot (no getKref)');
    }
    return getKref();
  }
  throw new KmarshalError('NOT_A_KSLOT', `krefOf requires a promise or remotable, got a ${style}`);
}

const kmarshal = makeMarshal<string>(krefOf, kslot, {
  serializeBodyFormat: 'smallcaps',
  errorTagging: 'off',
});

/** Serialize a passable (with kslot stand-ins) to kref capdata. */
export function kser(value: unknown): CapData {
  const { body, slots } = kmarshal.toCapData(harden(value) as never);
  return { body, slots: [...slots] };
}

/** Unserialize kref capdata; slots become kslot stand-ins. */
export function kunser(data: CapData): unknown {
  return kmarshal.fromCapData(data);
}

/** Capdata for an Error carrying `message`, as the kernel rejects with. */
export function makeError(message: string): CapData {
  if (typeof message !== 'string') {
    throw new KmarshalError('BAD_KREF', 'makeError needs a string message');
  }
  return kser(Error(message));
}
