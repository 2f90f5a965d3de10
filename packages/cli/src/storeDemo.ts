// A swing-store walk-through: on-disk store, a crank with a rollback, a
// transcript span rolled over at a snapshot, then a state-sync export and
// import into a second directory whose export data must match.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  initSwingStore,
  makeSwingStoreExporter,
  importSwingStore,
  type ExportDataEntry,
} from '@crankshaft/swing-store';

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

async function collectExportData(dir: string): Promise<Map<string, string>> {
  const exporter = makeSwingStoreExporter(dir, { artifactMode: 'operational' });
  const data = new Map<string, string>();
  for await (const [key, value] of exporter.getExportData()) data.set(key, value);
  await exporter.close();
  return data;
}

export async function runStoreDemo(baseDir: string, log: (line: string) => void): Promise<void> {
  const storeDir = path.join(baseDir, 'store');
  const exported: ExportDataEntry[] = [];
  const { kernelStorage, hostStorage } = initSwingStore(storeDir, {
    exportCallback: entries => exported.push(...entries),
  });
  const { kvStore, transcriptStore, snapStore } = kernelStorage;

  kernelStorage.startCrank();
  kernelStorage.establishCrankSavepoint('start');
  kvStore.set('vat.names', '["bootstrap"]');
  transcriptStore.initTranscript('v1');
  transcriptStore.addItem('v1', JSON.stringify({ d: ['startVat', { body: '#{}', slots: [] }], sc: [], r: { status: 'ok' } }));
  kernelStorage.establishCrankSavepoint('deliver');
  kvStore.set('doomed', 'this write is rolled back');
  kernelStorage.rollbackCrank('deliver');
  const { crankhash, activityhash } = kernelStorage.emitCrankHashes();
  kernelStorage.endCrank();
  log(`crank 1: crankhash ${crankhash.slice(0, 16)}… activityhash ${activityhash.slice(0, 16)}…`);

  const snapPos = transcriptStore.getCurrentSpanBounds('v1').endPos;
  const saved = await snapStore.saveSnapshot('v1', snapPos, bytesOf('a pretend heap image '.repeat(1000)));
  transcriptStore.addItem('v1', JSON.stringify({ d: ['save-snapshot'], sc: [], r: { status: 'ok', snapshotID: saved.hash } }));
  await transcriptStore.rolloverSpan('v1');
  transcriptStore.addItem('v1', JSON.stringify({ d: ['load-snapshot', { snapshotID: saved.hash }], sc: [], r: { status: 'ok' } }));
  await hostStorage.commit();
  log(`snapshot at snapPos ${snapPos}: ${saved.uncompressedSize} bytes -> ${saved.compressedSize} gzipped`);
  log(`current span: ${JSON.stringify(transcriptStore.getCurrentSpanBounds('v1'))}`);
  log(`export-data entries streamed to the host: ${exported.length}`);
  await hostStorage.close();

  const original = await collectExportData(storeDir);
  const importDir = path.join(baseDir, 'imported');
  const exporter = makeSwingStoreExporter(storeDir, { artifactMode: 'operational' });
  const imported = await importSwingStore(exporter, importDir, { artifactMode: 'operational' });
  await imported.hostStorage.commit();
  await imported.hostStorage.close();
  const copy = await collectExportData(importDir);
  const same = original.size === copy.size && [...original].every(([k, v]) => copy.get(k) === v);
  log(`state-sync export -> import: ${original.size} export-data entries, identical: ${same}`);
  if (!same) throw Error('imported store differs from the original');
}

/** Runs the demo in a fresh temp directory (or the one given). */
export async function main(dir?: string): Promise<void> {
  const baseDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'crankshaft-store-demo-'));
  console.log(`swing-store demo in ${baseDir}`);
  await runStoreDemo(baseDir, line => console.log(`  ${line}`));
}
