// Canonical JSON: like JSON.stringify, but object keys are sorted, so two
// structurally equal values always give the same text no matter in which
// order their properties were created. Replay compares syscalls this way.

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function encode(value: unknown, inArray: boolean): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON has no NaN/Infinity; JSON.stringify writes them as null.
      return JSON.stringify(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      // Dropped from objects, null inside arrays: JSON.stringify's rules.
      return inArray ? 'null' : undefined;
    case 'bigint':
      throw TypeError(`canonicalJSON: cannot encode bigint ${value}n`);
    default:
      break;
  }
  if (Array.isArray(value)) {
    return `[${value.map(item => encode(item, true)).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort(compareKeys)) {
    const text = encode(record[key], false);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** Deterministic JSON text of plain data (sorted keys, no whitespace). */
export function canonicalJSON(value: unknown): string {
  const text = encode(value, false);
  if (text === undefined) throw TypeError(`canonicalJSON: cannot encode ${typeof value}`);
  return text;
}
