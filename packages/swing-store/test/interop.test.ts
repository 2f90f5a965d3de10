// Interop with the reference @agoric/swing-store: the same script of
// operations is written into a Crankshaft store and a reference store (each
// in its own child process), and their exports must agree byte for byte.
// Then each side imports the other's export and re-exports it unchanged.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { readArtifact, readArtifactNames, readExportData } from './interop/artifactDir.js';
import type { ScriptOp } from './interop/driver.js';
import { item, makeB0Bundle, makeB1Bundle, makeTempDir, packageRoot, pseudoRandomBytes, removeDir } from './stateSyncFixture.js';
import type { IdentifiedBundle } from './stateSyncFixture.js';

const execFileAsync = promisify(execFile);

type Side = 'ours' | 'reference';
const driverPath: Record<Side, string> = {
  ours: path.join(packageRoot, 'dist/test/interop/drive-ours.js'),
  reference: path.join(packageRoot, 'test/interop/drive-reference.js'),
};

async function drive(side: Side, ...args: string[]): Promise<void> {
  try {
    await execFileAsync(process.execPath, [driverPath[side], ...args], { maxBuffer: 1 << 24 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw Error(`${side} driver ${args[0]} failed: ${stderr ?? String(error)}`);
  }
}

/** Kernel-like activity: cranks, spans, an upgrade, snapshots, termination. */
function makeScript(bundles: IdentifiedBundle[]): ScriptOp[] {
  const script: ScriptOp[] = [];
  const crank = (...ops: ScriptOp[]): void => {
    script.push({ op: 'startCrank' }, ...ops, { op: 'emitCrankHashes' }, { op: 'endCrank' });
  };
  const items = (vatID: string, from: number, to: number): ScriptOp => ({
    op: 'addItems',
    vatID,
    items: Array.from({ length: to - from }, (_, i) => item(vatID, from + i)),
  });
  const snapshot = (vatID: string, snapPos: number, seed: number, size: number): ScriptOp => ({
    op: 'saveSnapshot',
    vatID,
    snapPos,
    base64: pseudoRandomBytes(seed, size).toString('base64'),
  });

  crank(
    { op: 'kvSet', key: 'kernel.version', value: '1' },
    { op: 'kvSet', key: 'vat.names', value: '["v1","v2","v3","v4"]' },
    { op: 'kvSet', key: '€.unicode', value: 'value with € and 😀' },
    { op: 'kvSet', key: 'local.scratch', value: 'never exported' },
    ...bundles.map(({ bundleID, bundle }): ScriptOp => ({ op: 'addBundle', bundleID, bundle })),
    ...['v1', 'v2', 'v3', 'v4'].map((vatID): ScriptOp => ({ op: 'initTranscript', vatID })),
  );
  script.push({ op: 'hostSet', key: 'host.height', value: '1' }, { op: 'commit' });
  crank(
    items('v1', 0, 6),
    snapshot('v1', 5, 11, 40_000),
    { op: 'rolloverSpan', vatID: 'v1' },
    items('v2', 0, 3),
    snapshot('v2', 2, 12, 9_000),
    { op: 'rolloverSpan', vatID: 'v2' },
    items('v3', 0, 4),
    snapshot('v3', 3, 13, 3_000),
    { op: 'rolloverSpan', vatID: 'v3' },
    items('v4', 0, 2),
    { op: 'kvSet', key: 'v1.c.ko1', value: 'R o+1' },
  );
  crank(
    items('v1', 6, 9),
    { op: 'rolloverIncarnation', vatID: 'v1' },
    items('v1', 9, 12),
    snapshot('v1', 11, 14, 50_000),
    { op: 'rolloverSpan', vatID: 'v1' },
    items('v1', 12, 14),
    items('v3', 4, 6),
    { op: 'kvDelete', key: 'vat.names' },
  );
  script.push({ op: 'commit' });
  // v3 and v4 are terminated; v4's remains are slowly deleted.
  crank(
    { op: 'stopUsingTranscript', vatID: 'v3' },
    { op: 'stopUsingLastSnapshot', vatID: 'v3' },
    { op: 'stopUsingTranscript', vatID: 'v4' },
    { op: 'deleteVatTranscripts', vatID: 'v4', budget: 1 },
    { op: 'deleteVatTranscripts', vatID: 'v4', budget: 1 },
    items('v2', 3, 7),
    { op: 'kvSet', key: 'v1.c.ko1', value: 'R o+2' },
  );
  script.push({ op: 'commit' });
  return script;
}

function assertSameExport(t: import('ava').ExecutionContext, ours: string, theirs: string, label: string): void {
  t.deepEqual(readExportData(ours), readExportData(theirs), `${label}: export data`);
  const names = readArtifactNames(ours);
  t.true(names.length > 0, `${label}: some artifacts`);
  t.deepEqual(names, readArtifactNames(theirs), `${label}: artifact names`);
  for (const name of names) {
    t.true(readArtifact(ours, name).equals(readArtifact(theirs, name)), `${label}: artifact ${name}`);
  }
}

test('crankshaft and reference stores agree on export data, artifacts and cross-imports', async (t) => {
  const dir = makeTempDir('interop');
  t.teardown(() => removeDir(dir));
  const at = (...parts: string[]): string => path.join(dir, ...parts);

  const bundles = [makeB0Bundle('1+2'), await makeB1Bundle()];
  fs.writeFileSync(at('script.json'), JSON.stringify(makeScript(bundles)));
  fs.writeFileSync(at('options.json'), JSON.stringify({ keepSnapshots: true }));

  await Promise.all(
    (['ours', 'reference'] as const).map((side) =>
      drive(side, 'write', at('script.json'), at(`store-${side}`), at(`results-${side}.json`), at('options.json')),
    ),
  );
  const results = JSON.parse(fs.readFileSync(at('results-ours.json'), 'utf8')) as unknown[];
  t.deepEqual(results, JSON.parse(fs.readFileSync(at('results-reference.json'), 'utf8')), 'op results (crank hashes, bounds, snapshot hashes)');
  t.true(
    results.some((r) => typeof r === 'object' && r !== null && 'activityhash' in r),
    'the script emitted crank hashes',
  );

  for (const mode of ['operational', 'replay', 'archival', 'debug']) {
    await Promise.all(
      (['ours', 'reference'] as const).map((side) => drive(side, 'export', at(`store-${side}`), at(`export-${side}-${mode}`), mode)),
    );
    assertSameExport(t, at(`export-ours-${mode}`), at(`export-reference-${mode}`), `export ${mode}`);
  }
  // current snapshots v1, v2; current spans v1, v2; two bundles
  t.is(readArtifactNames(at('export-ours-operational')).length, 6);
  const dataKeys = readExportData(at('export-ours-debug')).map(([key]) => key);
  t.true(dataKeys.includes('kv.activityhash'));
  t.false(dataKeys.some((key) => key.startsWith('kv.local.') || key.startsWith('kv.host.')));
  t.true(readArtifactNames(at('export-ours-debug')).includes('snapshot.v1.5'), 'debug exports kept historical snapshots');

  // Cross-imports: each imports the other's export and re-exports it.
  for (const mode of ['operational', 'archival']) {
    const pairs = [
      { importer: 'reference', from: 'ours' },
      { importer: 'ours', from: 'reference' },
    ] as const;
    await Promise.all(
      pairs.map(async ({ importer, from }) => {
        const tag = `${importer}-from-${from}-${mode}`;
        await drive(importer, 'import', at(`export-${from}-${mode}`), at(`store-${tag}`), mode);
        await drive(importer, 'export', at(`store-${tag}`), at(`reexport-${tag}`), mode);
      }),
    );
    for (const { importer, from } of pairs) {
      const tag = `${importer}-from-${from}-${mode}`;
      assertSameExport(t, at(`reexport-${tag}`), at(`export-${from}-${mode}`), `${tag} re-export`);
    }
  }
});
