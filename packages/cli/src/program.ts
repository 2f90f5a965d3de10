// The `crankshaft` command line: one commander program, one action per
// command. Each action returns its exit code; errors become one line on
// stderr (cliErrors.ts).
import { Command, InvalidArgumentError } from 'commander';
import { CliError, errorLine, EXIT_ERROR } from './cliErrors.js';
import { inspectCommand } from './commands/inspect.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { slogCommand } from './commands/slog.js';
import { exportCommand, importCommand } from './commands/stateSync.js';
import { transcriptCommand } from './commands/transcript.js';
import { makeOutput, type Output } from './output.js';

const positiveInteger = (text: string): number => {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(text);
};
const position = (text: string): number => {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('must be a transcript position (0, 1, 2, ...)');
  return Number(text);
};

interface Common {
  json?: boolean;
  quiet?: boolean;
}

export interface ProgramIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export function buildProgram(io: ProgramIO, setExit: (code: number) => void): Command {
  const program = new Command('crankshaft')
    .description('Run, inspect, replay, export, import and trace a Crankshaft kernel')
    .showHelpAfterError()
    .configureOutput({
      writeOut: text => void (io.stdout ?? process.stdout).write(text),
      writeErr: text => void (io.stderr ?? process.stderr).write(text),
    });

  const action =
    <A extends unknown[]>(body: (out: Output, ...args: A) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const options = command.opts<Common>();
      const out = makeOutput({ json: options.json === true, quiet: options.quiet === true, ...io });
      setExit(await body(out, ...(args.slice(0, -1) as A)));
    };
  const withCommon = (command: Command): Command =>
    command.option('--json', 'print results as JSON').option('-q, --quiet', 'no progress or status lines');

  withCommon(
    program
      .command('run')
      .description('run a kernel from a config file or base directory, initializing the store on first use')
      .argument('<config>', 'config.json, or a base directory with vat-*.js and bootstrap.js')
      .option('--store <dir>', 'swing-store directory (created if missing; default: in memory)')
      .option('--slog <file>', 'append the slog (JSON lines) to this file')
      .option('--policy <policy>', 'run at most crank:N cranks or computron:N computrons')
      .option('--until-quiescent', 'with --policy: repeat (committing each time) until the queues are empty')
      .option('--keep-snapshots', 'keep old heap snapshots, so historical spans can be replayed')
      .option('--no-vat-output', 'drop vat console output'),
  ).action(
    action((out, config: string, opts: { store?: string; slog?: string; policy?: string; untilQuiescent?: boolean; keepSnapshots?: boolean; vatOutput?: boolean }) =>
      runCommand(config, opts, out),
    ),
  );

  withCommon(
    program
      .command('inspect')
      .description('vats, transcripts, snapshots, kernel tables and store size (read-only)')
      .argument('<store>', 'swing-store directory')
      .option('--vat <vat>', 'one vat in detail (ID or name)'),
  ).action(action((out, store: string, opts: { vat?: string }) => inspectCommand(store, opts, out)));

  withCommon(
    program
      .command('transcript')
      .description("a vat's transcript entries (read-only)")
      .argument('<store>', 'swing-store directory')
      .argument('<vat>', 'vat ID or name')
      .option('--span <span>', 'current, all, or the span holding position N', 'all')
      .option('--from <position>', 'first position', position)
      .option('--to <position>', 'last position (inclusive)', position)
      .option('--no-syscalls', 'one line per entry, without its syscalls'),
  ).action(
    action((out, store: string, vat: string, opts: { span?: string; from?: number; to?: number; syscalls?: boolean }) =>
      transcriptCommand(store, vat, opts, out),
    ),
  );

  withCommon(
    program
      .command('replay')
      .description('replay spans in fresh workers and check every syscall and snapshot hash (read-only; exit 0 only if all match)')
      .argument('<store>', 'swing-store directory')
      .option('--vat <vats...>', 'only these vats (IDs or names)')
      .option('--spans <which>', 'current, historical or all', 'current')
      .option('--jobs <n>', 'vats replayed side by side', positiveInteger, 1)
      .option('--strict', 'also fail (exit 1) when a span cannot be replayed'),
  ).action(
    action((out, store: string, opts: { vat?: string[]; spans?: string; jobs?: number; strict?: boolean }) => replayCommand(store, opts, out)),
  );

  withCommon(
    program
      .command('export')
      .description('write state-sync artifacts and export data to a new directory (read-only on the store)')
      .argument('<store>', 'swing-store directory')
      .argument('<dir>', 'new export directory')
      .option('--mode <mode>', 'operational, replay, archival or debug', 'operational'),
  ).action(action((out, store: string, dir: string, opts: { mode?: string }) => exportCommand(store, dir, opts, out)));

  withCommon(
    program
      .command('import')
      .description('build a new store from an export directory (all or nothing)')
      .argument('<dir>', 'export directory')
      .argument('<store>', 'new swing-store directory'),
  ).action(action((out, dir: string, store: string) => importCommand(dir, store, out)));

  withCommon(
    program
      .command('slog')
      .description('summarize a slog file, or write it as Chrome trace events')
      .argument('<file>', 'slog file (JSON lines)')
      .option('--vat <vatID>', 'only this vat')
      .option('--summary', 'print the summary tables (the default without --trace)')
      .option('--trace <out.json>', 'write Chrome trace-event JSON (Perfetto, chrome://tracing)')
      .option('--slowest <n>', 'how many slowest deliveries to list', positiveInteger, 10),
  ).action(
    action((out, file: string, opts: { vat?: string; summary?: boolean; trace?: string; slowest?: number }) => slogCommand(file, opts, out)),
  );

  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[], io: ProgramIO = {}): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, code => {
    exitCode = code;
  });
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Help and version exit 0; usage errors were already printed by commander.
      return code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version' ? 0 : EXIT_ERROR;
    }
    (io.stderr ?? process.stderr).write(`${errorLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : EXIT_ERROR;
  }
}
