// Reference formats: kernel refs (ko/kp/kd), vat/device-side refs
// (o±N, p±N, d±N, virtual/durable o+vK/I, o+dK/I, with an optional
// :facet), vat IDs (vN) and device IDs (dN). Pure functions.
import { KernelError } from './errors.js';

export type RefType = 'object' | 'promise' | 'device';

export interface ParsedKref {
  type: RefType;
  id: number;
}

const krefPrefixes: Record<string, RefType> = { ko: 'object', kp: 'promise', kd: 'device' };
const krefLetters: Record<RefType, string> = { object: 'ko', promise: 'kp', device: 'kd' };
const vrefLetters: Record<RefType, string> = { object: 'o', promise: 'p', device: 'd' };
const typeOfLetter: Record<string, RefType> = { o: 'object', p: 'promise', d: 'device' };

const digits = /^(0|[1-9][0-9]*)$/;

const parseNat = (text: string, what: string, ref: unknown): number => {
  if (!digits.test(text)) throw new KernelError('BAD_REF', `invalid ${what} ${JSON.stringify(ref)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new KernelError('BAD_REF', `invalid ${what} ${JSON.stringify(ref)}`);
  return n;
};

export function parseKref(kref: unknown): ParsedKref {
  if (typeof kref !== 'string') throw new KernelError('BAD_REF', `kref must be a string, got ${typeof kref}`);
  const type = krefPrefixes[kref.slice(0, 2)];
  if (type === undefined) throw new KernelError('BAD_REF', `invalid kref ${JSON.stringify(kref)}`);
  return { type, id: parseNat(kref.slice(2), 'kref', kref) };
}

export const makeKref = (type: RefType, id: number | bigint): string => `${krefLetters[type]}${id}`;

export function krefType(kref: string): RefType {
  return parseKref(kref).type;
}

export function insistKrefType(type: RefType, kref: unknown): string {
  const parsed = parseKref(kref);
  if (parsed.type !== type) {
    throw new KernelError('BAD_REF', `kref ${String(kref)} is not of type ${type}`);
  }
  return kref as string;
}

export interface ParsedVref {
  type: RefType;
  /** True for `+` refs (allocated by the vat or device), false for `-`. */
  allocatedByVat: boolean;
  virtual: boolean;
  durable: boolean;
  id: number;
  subid?: number;
  facet?: number;
  baseRef: string;
}

/** Parses a vat-side (or device-side) reference; throws KernelError BAD_REF. */
export function parseVref(vref: unknown): ParsedVref {
  if (typeof vref !== 'string') throw new KernelError('BAD_REF', `vref must be a string, got ${typeof vref}`);
  const bad = (): never => {
    throw new KernelError('BAD_REF', `invalid vref ${JSON.stringify(vref)}`);
  };
  const parts = vref.split(':');
  if (parts.length > 2) bad();
  const baseRef = parts[0] as string;
  const facetText = parts[1];
  const type = typeOfLetter[baseRef.charAt(0)];
  if (type === undefined) return bad();
  const alloc = baseRef.charAt(1);
  if (alloc !== '+' && alloc !== '-') return bad();
  const allocatedByVat = alloc === '+';
  let rest = baseRef.slice(2);
  let virtual = false;
  let durable = false;
  if (rest.startsWith('d')) {
    durable = true;
    rest = rest.slice(1);
  } else if (rest.startsWith('v')) {
    virtual = true;
    rest = rest.slice(1);
  }
  const slash = rest.indexOf('/');
  let id: number;
  let subid: number | undefined;
  if (slash > 0) {
    // subids exist only on virtual/durable object exports
    if (!(type === 'object' && allocatedByVat && (virtual || durable))) bad();
    id = parseNat(rest.slice(0, slash), 'vref', vref);
    subid = parseNat(rest.slice(slash + 1), 'vref', vref);
  } else {
    id = parseNat(rest, 'vref', vref);
  }
  const parsed: ParsedVref = { type, allocatedByVat, virtual, durable, id, baseRef };
  if (subid !== undefined) parsed.subid = subid;
  if (subid !== undefined && facetText !== undefined) parsed.facet = parseNat(facetText, 'vref', vref);
  return parsed;
}

export const makeVref = (type: RefType, allocatedByVat: boolean, id: number | bigint): string =>
  `${vrefLetters[type]}${allocatedByVat ? '+' : '-'}${id}`;

export function insistVrefType(type: RefType, vref: unknown): string {
  if (parseVref(vref).type !== type) {
    throw new KernelError('BAD_REF', `vref ${String(vref)} is not of type ${type}`);
  }
  return vref as string;
}

const vatIDPattern = /^v[1-9][0-9]*$/;
const deviceIDPattern = /^d[1-9][0-9]*$/;

export const isVatID = (x: unknown): x is string => typeof x === 'string' && vatIDPattern.test(x);
export const isDeviceID = (x: unknown): x is string => typeof x === 'string' && deviceIDPattern.test(x);

export function insistVatID(x: unknown): string {
  if (!isVatID(x)) throw new KernelError('BAD_ID', `not a vatID: ${JSON.stringify(x)}`);
  return x;
}

export function insistDeviceID(x: unknown): string {
  if (!isDeviceID(x)) throw new KernelError('BAD_ID', `not a deviceID: ${JSON.stringify(x)}`);
  return x;
}

export const makeVatID = (n: number | bigint): string => `v${n}`;
export const makeDeviceID = (n: number | bigint): string => `d${n}`;
