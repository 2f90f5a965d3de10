// `crankshaft transcript <store> <vat>`: a vat's transcript entries, as JSON
// lines (--json) or one readable line per entry with its syscalls beneath.
import type { SpanDescription } from '@crankshaft/swing-store';
import { CliError } from '../cliErrors.js';
import { describeDelivery, describeSyscall } from '../deliveryText.js';
import { makeKernelFacts } from '../kernelFacts.js';
import { groupDigits, type Output } from '../output.js';
import { withReadOnlyStore } from '../storeAccess.js';

export interface TranscriptOptions {
  span?: string;
  from?: number;
  to?: number;
  syscalls?: boolean;
}

/** The spans `--span` names: `current`, `all`, or the one containing position N. */
export function selectSpans(spans: SpanDescription[], selector: string | undefined, vatID: string): SpanDescription[] {
  if (selector === undefined || selector === 'all') return spans;
  if (selector === 'current') return spans.filter(span => span.isCurrent);
  if (!/^\d+$/.test(selector)) throw new CliError(`--span ${selector}`, 'must be current, all, or a transcript position');
  const position = Number(selector);
  const found = spans.find(span => span.startPos <= position && position < span.endPos);
  if (!found) {
    const last = spans[spans.length - 1];
    throw new CliError(`--span ${selector}`, `no span of ${vatID} holds that position (it has positions 0..${last ? last.endPos - 1 : -1})`);
  }
  return [found];
}

export async function transcriptCommand(storeDir: string, vatName: string, options: TranscriptOptions, out: Output): Promise<number> {
  return withReadOnlyStore(storeDir, store => {
    const vat = makeKernelFacts(store).findVat(vatName);
    const { transcriptStore } = store.internal;
    const spans = selectSpans(transcriptStore.describeVatSpans(vat.vatID), options.span, vat.vatID);
    const from = options.from ?? 0;
    const to = options.to ?? Infinity;
    let shown = 0;
    for (const span of spans) {
      if (span.endPos <= from || span.startPos > to) continue;
      if (span.storedItems < span.endPos - span.startPos) {
        out.note(
          `span [${span.startPos}, ${span.endPos}) of ${vat.vatID}: only ${span.storedItems} of ${span.endPos - span.startPos} items are stored (the store ran with keepTranscripts off)`,
        );
        continue;
      }
      if (!out.json) out.line(`-- span [${span.startPos}, ${span.endPos}) incarnation ${span.incarnation}${span.isCurrent ? ' (current)' : ''}`);
      let position = span.startPos;
      for (const text of transcriptStore.readSpan(vat.vatID, span.startPos)) {
        const here = position;
        position += 1;
        if (here < from || here > to) continue;
        shown += 1;
        if (out.json) {
          out.record({ vatID: vat.vatID, position: here, entry: JSON.parse(text) as unknown });
          continue;
        }
        const entry = JSON.parse(text) as { d: unknown; sc: { s: unknown; r: unknown }[]; r: { status?: string; metering?: { computrons?: number } } };
        const computrons = entry.r.metering?.computrons;
        const meta = [entry.r.status ?? '?', `${entry.sc.length} syscalls`, ...(computrons === undefined ? [] : [`${groupDigits(computrons)} computrons`])];
        out.line(`${String(here).padStart(7)}  ${describeDelivery(entry.d)}  [${meta.join(', ')}]`);
        if (options.syscalls !== false) {
          entry.sc.forEach((call, i) => out.line(`${' '.repeat(11)}sc${i} ${describeSyscall(call.s, call.r)}`));
        }
      }
    }
    if (shown === 0) out.note(`no transcript entries of ${vat.vatID} in that range`);
    return 0;
  });
}
