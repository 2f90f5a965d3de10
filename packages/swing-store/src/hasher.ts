// SHA-256 helpers and the byte formats that feed consensus hashes.
// Everything here is pure: same input, same lowercase-hex output.
import { createHash } from 'node:crypto';
import { fail } from './errors.js';

export type HashInput = string | Uint8Array;

/** An incremental SHA-256 that can be finished exactly once. */
export interface Hasher {
  add(more: HashInput): Hasher;
  finish(): string;
}

export function makeSHA256(initial?: HashInput): Hasher {
  const hash = createHash('sha256');
  let finished = false;
  const hasher: Hasher = {
    add(more) {
      if (finished) fail('HASHER_FINISHED', 'cannot add to a hash that was already finished');
      hash.update(more);
      return hasher;
    },
    finish() {
      if (finished) fail('HASHER_FINISHED', 'hash was already finished');
      finished = true;
      return hash.digest('hex');
    },
  };
  if (initial !== undefined) hasher.add(initial);
  return hasher;
}

export function sha256Hex(data: HashInput): string {
  return createHash('sha256').update(data).digest('hex');
}

// ------------------------------------------------------ crank/activity hash

/** Bytes a consensus kv `set` contributes to the crankhash. */
export function crankhashSetInput(key: string, value: string): string {
  return `add\n${key}\n${value}\n`;
}

/** Bytes a consensus kv `delete` contributes to the crankhash. */
export function crankhashDeleteInput(key: string): string {
  return `delete\n${key}\n`;
}

/** Chains one crank's hash onto the previous activityhash ('' at genesis). */
export function nextActivityhash(previousActivityhash: string, crankhash: string): string {
  return sha256Hex(`activityhash\n${previousActivityhash}\n${crankhash}\n`);
}

// ------------------------------------------------------ transcript span hash

/** Every span's hash chain starts from this seed. */
export const initialSpanHash: string = sha256Hex('start of transcript span');

/** One step of the span chain: hashes the hex text of prior hash + item hash. */
export function updateSpanHash(priorHash: string, item: string): string {
  return sha256Hex(priorHash + sha256Hex(item));
}

export function computeSpanHash(items: Iterable<string>): string {
  let hash = initialSpanHash;
  for (const item of items) hash = updateSpanHash(hash, item);
  return hash;
}
