// Where results go: JSON (one document, or JSON lines), tables, or plain
// lines; progress bars only on a terminal, a line per step elsewhere, and
// nothing at all with --json or --quiet. Status text goes to stderr so that
// stdout holds only results.
import cliProgress from 'cli-progress';
import Table from 'cli-table3';

export interface OutputOptions {
  json: boolean;
  quiet?: boolean;
  /** Default: whether stderr is a terminal (and CI is unset). */
  interactive?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface Progress {
  /** Adds to the value; `detail` replaces the text after the bar. */
  advance(by: number, detail?: string): void;
  /** Adds to the total (for work discovered along the way). */
  grow(by: number): void;
  done(summary?: string): void;
}

export interface Output {
  readonly json: boolean;
  /** A result line on stdout (not in --json mode). */
  line(text: string): void;
  /** A status line on stderr (not with --json or --quiet). */
  note(text: string): void;
  table(head: string[], rows: (string | number)[][]): void;
  /** The whole result as one JSON document on stdout (only in --json mode). */
  result(value: unknown): void;
  /** One JSON line on stdout (for streams of records in --json mode). */
  record(value: unknown): void;
  progress(label: string, total: number, unit?: 'items' | 'bytes'): Progress;
}

/** A plain (uncoloured) table, the same on a terminal and in a file. */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  // No rule between body rows: compact, and still aligned.
  const table = new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(row.map(cell => (typeof cell === 'number' ? groupDigits(cell) : cell)));
  return table.toString();
}

/** 1234567 -> "1,234,567" (not toLocaleString: Node may be built without locale data). */
export function groupDigits(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** JSON that survives BigInts (as decimal strings). */
export const toJSON = (value: unknown, space?: number): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), space);

export function makeOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const { json, quiet = false } = options;
  const interactive =
    options.interactive ?? (Boolean((stderr as NodeJS.WriteStream).isTTY) && !process.env['CI']);
  const silent = json || quiet;
  const write = (stream: NodeJS.WritableStream, text: string): void => void stream.write(`${text}\n`);

  const progress = (label: string, total: number, unit: 'items' | 'bytes' = 'items'): Progress => {
    if (silent) return { advance() {}, grow() {}, done() {} };
    const show = (n: number): string => (unit === 'bytes' ? formatBytes(n) : groupDigits(n));
    let value = 0;
    let size = total;
    if (interactive) {
      const bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {percentage}% {shown} {detail}`,
          stream: stderr as NodeJS.WriteStream,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(size, 1), 0, { shown: `${show(0)}/${show(size)}`, detail: '' });
      return {
        advance(by, detail) {
          value += by;
          bar.update(value, { shown: `${show(value)}/${show(size)}`, ...(detail === undefined ? {} : { detail }) });
        },
        grow(by) {
          size += by;
          bar.setTotal(Math.max(size, 1));
        },
        done(summary) {
          bar.stop();
          if (summary) write(stderr, summary);
        },
      };
    }
    // Not a terminal: a line for each tenth of the way (none in CI), and the summary.
    const steps = !process.env['CI'];
    let lastTenth = 0;
    return {
      advance(by, detail) {
        value += by;
        const tenth = size > 0 ? Math.floor((value * 10) / size) : 10;
        if (steps && tenth > lastTenth && tenth < 10) {
          lastTenth = tenth;
          write(stderr, `${label}: ${show(value)} of ${show(size)}${detail ? ` (${detail})` : ''}`);
        }
      },
      grow(by) {
        size += by;
      },
      done(summary) {
        write(stderr, summary ?? `${label}: ${show(value)} done`);
      },
    };
  };

  return {
    json,
    line: text => {
      if (!json) write(stdout, text);
    },
    note: text => {
      if (!silent) write(stderr, text);
    },
    table: (head, rows) => {
      if (!json) write(stdout, renderTable(head, rows));
    },
    result: value => {
      if (json) write(stdout, toJSON(value, 2));
    },
    record: value => write(stdout, toJSON(value)),
    progress,
  };
}
