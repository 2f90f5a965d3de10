// Short human descriptions of vat deliveries and syscalls, shared by the
// transcript listing and the slog summary. Pure functions over the
// transcript/slog shapes (docs/transcripts.md); anything unexpected is shown
// as JSON rather than rejected.

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The decoded smallcaps body, if it is plain JSON after the `#`. */
function smallcapsValue(body: unknown): unknown {
  if (typeof body !== 'string' || !body.startsWith('#')) return undefined;
  try {
    return JSON.parse(body.slice(1)) as unknown;
  } catch {
    return undefined;
  }
}

/** `[method, args]` of a message delivery's methargs, when readable. */
export function methodAndArgs(delivery: unknown): { method: string; args: unknown } | undefined {
  if (!Array.isArray(delivery) || delivery[0] !== 'message') return undefined;
  const msg = delivery[2] as { methargs?: { body?: unknown } } | undefined;
  const value = smallcapsValue(msg?.methargs?.body);
  if (!Array.isArray(value)) return undefined;
  const [method, args] = value as [unknown, unknown];
  return { method: typeof method === 'string' ? method : JSON.stringify(method), args };
}

/** A label for timing tables: the method for messages, else the delivery type. */
export function deliveryLabel(delivery: unknown): string {
  const message = methodAndArgs(delivery);
  if (message) return message.method;
  return Array.isArray(delivery) && typeof delivery[0] === 'string' ? delivery[0] : 'unknown';
}

/** One line for a delivery: `message o+0.ping(1) -> p-61`, `notify p-60`, `initialize-worker b1-abc…`. */
export function describeDelivery(delivery: unknown, max = 120): string {
  if (!Array.isArray(delivery) || typeof delivery[0] !== 'string') return clip(JSON.stringify(delivery), max);
  const [type, ...rest] = delivery as [string, ...unknown[]];
  switch (type) {
    case 'message': {
      const target = String(rest[0]);
      const result = (rest[1] as { result?: unknown } | undefined)?.result;
      const readable = methodAndArgs(delivery);
      const call = readable
        ? `${target}.${readable.method}(${clip(JSON.stringify(readable.args ?? []).replace(/^\[|\]$/g, ''), 60)})`
        : `${target} ${clip(JSON.stringify(rest[1]), 60)}`;
      return clip(`message ${call}${typeof result === 'string' ? ` -> ${result}` : ''}`, max);
    }
    case 'notify': {
      const resolutions = Array.isArray(rest[0]) ? (rest[0] as unknown[][]) : [];
      return clip(`notify ${resolutions.map(r => String(r[0])).join(' ')}`, max);
    }
    case 'initialize-worker': {
      const payload = rest[0] as { source?: { bundleID?: string }; workerOptions?: { type?: string } } | undefined;
      return `initialize-worker ${payload?.workerOptions?.type ?? ''} ${clip(payload?.source?.bundleID ?? '', 20)}`.trim();
    }
    case 'load-snapshot':
      return `load-snapshot ${clip(String((rest[0] as { snapshotID?: unknown } | undefined)?.snapshotID), 16)}`;
    default:
      return clip(rest.length === 0 ? type : `${type} ${JSON.stringify(rest)}`, max);
  }
}

/** One line for a syscall and its result: `vatstoreSet vc.1.scount "…" -> ok`. */
export function describeSyscall(syscall: unknown, result: unknown, max = 120): string {
  const call = Array.isArray(syscall)
    ? `${String(syscall[0])} ${syscall.slice(1).map(arg => JSON.stringify(arg)).join(' ')}`
    : JSON.stringify(syscall);
  const answer = Array.isArray(result)
    ? result[1] === null || result[1] === undefined
      ? String(result[0])
      : `${String(result[0])} ${JSON.stringify(result[1])}`
    : JSON.stringify(result);
  return `${clip(call, max - 20)} -> ${clip(answer, 40)}`;
}
