// Capdata checks and small readers shared by the translators and routing.
import { passStyleOf } from '@endo/far';
import { KernelError } from './errors.js';
import { krefOf, kunser, type CapData } from './kmarshal.js';
import type { KernelMessage } from './types.js';

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** Throws BAD_DATA unless `specimen` is `{ body: string, slots: string[] }`. */
export function insistCapData(specimen: unknown, what = 'capdata'): asserts specimen is CapData {
  if (!isRecord(specimen)) throw new KernelError('BAD_DATA', `${what} is not a record`);
  if (typeof specimen['body'] !== 'string') throw new KernelError('BAD_DATA', `${what} has non-string .body`);
  const slots = specimen['slots'];
  if (!Array.isArray(slots)) throw new KernelError('BAD_DATA', `${what} has non-Array slots`);
  if (!slots.every(slot => typeof slot === 'string')) throw new KernelError('BAD_DATA', `${what}: all slots must be strings`);
}

export function insistMessage(message: unknown, what = 'message'): asserts message is KernelMessage {
  if (!isRecord(message)) throw new KernelError('BAD_DATA', `${what} is not a record`);
  insistCapData(message['methargs'], `${what}.methargs`);
  const result = message['result'];
  if (result && typeof result !== 'string') throw new KernelError('BAD_DATA', `${what} has non-string non-null .result`);
}

/** The single slot of data that is exactly one presence or promise, else null. */
export function extractSingleSlot(data: CapData): string | null {
  if (data.slots.length !== 1) return null;
  const value = kunser(data);
  const style: string = passStyleOf(value as Parameters<typeof passStyleOf>[0]);
  return style === 'remotable' || style === 'promise' ? krefOf(value) : null;
}

/** The method name as SwingSet renders it in undeliverable-message errors. */
function legibilizeMethod(method: unknown, smallcaps: boolean): string {
  if (typeof method === 'string') {
    if (!smallcaps) return method;
    const rest = method.substring(1);
    switch (method.charAt(0)) {
      case '%':
        return `[${rest}]`;
      case '#':
        return rest === 'undefined' ? '<funcall>' : '<unintelligible method>';
      case '!':
        return rest;
      case '+':
      case '-':
      case '$':
      case '&':
        return '<unintelligible method>';
      default:
        return method;
    }
  }
  if (method === undefined) return '<funcall>';
  if (isRecord(method) && !smallcaps) {
    const qclass = method['@qclass'];
    if (qclass === 'undefined') return '<funcall>';
    if (qclass === 'symbol') return `[${String(method['name'])}]`;
    if (qclass === '@@asyncIterator') return '[Symbol.asyncIterator]';
    return '<invalid method type>';
  }
  return '<unintelligible method>';
}

/** The method of a methargs capdata, for messages that reach vats. */
export function extractMethod(methargs: CapData): string {
  try {
    let body = methargs.body;
    const smallcaps = body.charAt(0) === '#';
    if (smallcaps) body = body.substring(1);
    const parsed = JSON.parse(body) as unknown;
    return legibilizeMethod(Array.isArray(parsed) ? parsed[0] : undefined, smallcaps);
  } catch {
    return '<unknown>';
  }
}
