// `--policy crank:N | computron:N` for `crankshaft run`.
import { computronCounter, crankCounter, type RunPolicy } from '@crankshaft/kernel';
import { CliError } from './cliErrors.js';

export type PolicySpec = { kind: 'crank'; limit: number } | { kind: 'computron'; limit: bigint };

export function parsePolicy(text: string): PolicySpec {
  const match = /^(crank|computron):(\d+)$/.exec(text);
  if (!match || BigInt(match[2] as string) === 0n) {
    throw new CliError(`--policy ${text}`, 'must be crank:N or computron:N with N a positive integer');
  }
  const digits = match[2] as string;
  if (match[1] === 'crank') {
    const limit = Number(digits);
    if (!Number.isSafeInteger(limit)) throw new CliError(`--policy ${text}`, 'crank count is too large');
    return { kind: 'crank', limit };
  }
  return { kind: 'computron', limit: BigInt(digits) };
}

/** A fresh policy object for one run() slice (policies keep counts). */
export function makePolicy(spec: PolicySpec): RunPolicy {
  // Creating vats is not limited separately: one slice may create as many as it needs.
  return spec.kind === 'crank' ? crankCounter(spec.limit, Number.MAX_SAFE_INTEGER) : computronCounter(spec.limit);
}
