// Pure helpers for the JSON boundary of the bridge, command and plugin
// devices: what crosses between the host and a device is plain JSON, as
// in SwingSet, so a host written in another language (Go, for a chain)
// sees the same bytes. Imported by the device code too; keep it free of
// imports so device bundles stay small.

/** A deep copy through JSON; throws on bigints and cycles, as JSON does. */
export function copyAsJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  // JSON.stringify gives undefined for functions and symbols at the top
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** Like copyAsJson, but bigints become decimal strings (for the host side). */
export function copyAsJsonBigintsAsStrings(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** What a device gives back to a vat: JSON data, an Error as its stack text, or undefined. */
export function outboundResult(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value instanceof Error) return copyAsJson(value.stack);
  return copyAsJson(value);
}

/** A non-negative safe integer or bigint, as a bigint; anything else is refused. */
export function toNatural(value: unknown, what: string): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw RangeError(`${what} must be a non-negative integer, got ${typeof value === 'bigint' ? `${value}n` : String(value)}`);
}
