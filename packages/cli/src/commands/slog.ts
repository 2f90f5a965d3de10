// `crankshaft slog <file>`: summary tables of a slog, and --trace for the
// Chrome trace-event format.
import fs from 'node:fs';
import readline from 'node:readline';
import { CliError } from '../cliErrors.js';
import { groupDigits, type Output } from '../output.js';
import { collectSlog, summarizeSlog, type SlogRecordLike } from '../slogSummary.js';
import { buildTrace } from '../traceEvents.js';

export interface SlogOptions {
  vat?: string;
  summary?: boolean;
  trace?: string;
  slowest?: number;
}

/** The parsed records of a slog file; unparsable lines (a torn last line) are counted, not fatal. */
export async function readSlogFile(file: string): Promise<{ records: SlogRecordLike[]; badLines: number }> {
  if (!fs.existsSync(file)) throw new CliError(`slog ${file}`, 'does not exist');
  if (fs.statSync(file).isDirectory()) throw new CliError(`slog ${file}`, 'is a directory, not a slog file');
  const records: SlogRecordLike[] = [];
  let badLines = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string') {
        records.push(parsed as SlogRecordLike);
      } else badLines += 1;
    } catch {
      badLines += 1;
    }
  }
  if (records.length === 0 && badLines > 0) throw new CliError(`slog ${file}`, 'is not a slog (no line is a JSON record with a type)');
  return { records, badLines };
}

const ms = (seconds: number): string => (seconds * 1000).toFixed(2);

export async function slogCommand(file: string, options: SlogOptions, out: Output): Promise<number> {
  const { records, badLines } = await readSlogFile(file);
  if (badLines > 0) out.note(`slog ${file}: skipped ${badLines} unparsable lines`);
  const contents = collectSlog(records);
  const filter = options.vat === undefined ? {} : { vatID: options.vat };
  if (options.vat !== undefined && !contents.deliveries.some(d => d.vatID === options.vat)) {
    throw new CliError(`vat ${options.vat}`, `has no deliveries in ${file}`);
  }
  if (options.trace !== undefined) {
    const trace = buildTrace(contents, filter);
    fs.writeFileSync(options.trace, JSON.stringify(trace));
    const deliveries = trace.traceEvents.filter(e => e.cat === 'delivery' || e.cat === 'replay').length;
    out.note(`wrote ${trace.traceEvents.length} trace events (${deliveries} deliveries) to ${options.trace}: open it in Perfetto or chrome://tracing`);
    if (!options.summary) {
      out.result({ trace: options.trace, events: trace.traceEvents.length, deliveries });
      return 0;
    }
  }
  const summary = summarizeSlog(contents, { ...filter, slowest: options.slowest ?? 10 });
  out.result(summary);
  const t = summary.totals;
  out.line(
    `${groupDigits(t.deliveries)} deliveries in ${groupDigits(t.cranks)} cranks, ${ms(t.seconds)} ms in vats, ${groupDigits(t.computrons)} computrons` +
      (t.replayedDeliveries > 0 ? ` (and ${groupDigits(t.replayedDeliveries)} replayed deliveries)` : ''),
  );
  out.line('Per vat');
  out.table(
    ['vat', 'name', 'deliveries', 'ms', 'computrons'],
    summary.perVat.map(v => [v.vatID, v.name, v.deliveries, ms(v.seconds), v.computrons]),
  );
  out.line('Per vat and method');
  out.table(
    ['vat', 'method', 'deliveries', 'ms', 'mean ms', 'computrons'],
    summary.perMethod.map(m => [m.vatID, m.method, m.deliveries, ms(m.seconds), ms(m.meanSeconds), m.computrons]),
  );
  out.line(`Slowest ${summary.slowest.length} deliveries`);
  out.table(
    ['vat', 'delivery', 'crank', 'method', 'ms', 'computrons', 'status'],
    summary.slowest.map(d => [d.vatID, `d${d.deliveryNum}`, d.crankNum ?? '-', d.label, ms(d.seconds), d.computrons ?? '-', d.status]),
  );
  return 0;
}
