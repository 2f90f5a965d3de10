// `crankshaft inspect <store> [--vat ID]`: the store's figures as tables, or JSON.
import { collectInspectReport, collectVatDetail, renderInspectReport, renderVatDetail } from '../inspectReport.js';
import type { Output } from '../output.js';
import { withReadOnlyStore } from '../storeAccess.js';

export async function inspectCommand(storeDir: string, options: { vat?: string }, out: Output): Promise<number> {
  return withReadOnlyStore(storeDir, store => {
    if (options.vat !== undefined) {
      const detail = collectVatDetail(store, options.vat);
      out.result(detail);
      out.line(renderVatDetail(detail));
      return 0;
    }
    const report = collectInspectReport(store);
    out.result(report);
    out.line(renderInspectReport(report));
    return 0;
  });
}
