import '@endo/init/debug.js';
import test from 'ava';
import { WorkerError } from '../src/errors.js';
import { bootSupervisor, isUnknownCommand, type WorkerProcess } from '../src/xsnapProcess.js';
import type { NestedEvaluateBundle } from '../src/types.js';

const bundle: NestedEvaluateBundle = { moduleFormat: 'nestedEvaluate', source: '() => {}' };
const bundles = { lockdownBundle: bundle, supervisorBundle: bundle };

/** A stand-in process: records what it evaluates, answers commands with `reply`. */
function fakeProcess(reply: unknown): { proc: WorkerProcess; evaluated: string[]; commands: unknown[] } {
  const evaluated: string[] = [];
  const commands: unknown[] = [];
  const xs = {
    evaluate: async (code: string) => {
      evaluated.push(code);
      return { reply: new Uint8Array(), meterUsage: { compute: 1 } };
    },
    issueCommand: async (bytes: Uint8Array) => {
      commands.push(JSON.parse(new TextDecoder().decode(bytes)));
      return { reply: new TextEncoder().encode(JSON.stringify(reply)), meterUsage: { compute: 1 } };
    },
  };
  const proc = { xs, child: undefined, exited: new Promise(() => {}), exitInfo: undefined } as unknown as WorkerProcess;
  return { proc, evaluated, commands };
}

test('booting evaluates both bundles, then makes heap room', async t => {
  const { proc, evaluated, commands } = fakeProcess(['ready', [['console', 'xsnap', 'log', ['hi']]]]);
  const items = await bootSupervisor(proc, bundles, 1024, 'vat v1');
  t.is(evaluated.length, 2);
  t.deepEqual(commands, [['growHeap', 1024]]);
  t.deepEqual(items, [['console', 'xsnap', 'log', ['hi']]]);
  const none = fakeProcess(['ready', []]);
  await bootSupervisor(none.proc, bundles, 0, 'vat v1');
  t.deepEqual(none.commands, [], 'no room asked, no command');
});

test('a supervisor bundle older than growHeap boots without the room; other failures are errors', async t => {
  const old = fakeProcess(['failed', [], 'Error: unknown command "growHeap"']);
  t.deepEqual(await bootSupervisor(old.proc, bundles, 1024, 'vat v1'), []);
  const broken = fakeProcess(['failed', [], 'Error: out of luck']);
  const err = await t.throwsAsync(bootSupervisor(broken.proc, bundles, 1024, 'vat v1'), { instanceOf: WorkerError });
  t.is(err?.code, 'WORKER_START');
  t.is(err?.message, 'vat v1: growHeap failed: Error: out of luck');
  const bad = await t.throwsAsync(
    bootSupervisor(fakeProcess(['ready', []]).proc, { ...bundles, lockdownBundle: { ...bundle, moduleFormat: 'x' as never } }, 0, 'vat v2'),
    { instanceOf: WorkerError },
  );
  t.is(bad?.code, 'BAD_BUNDLE');
  t.true(isUnknownCommand('Error: unknown command "replay"', 'replay'));
  t.false(isUnknownCommand('Error: unknown command "replay"', 'growHeap'));
});
