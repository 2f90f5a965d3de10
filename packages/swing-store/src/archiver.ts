// Archive hooks for initSwingStore's archiveSnapshot / archiveTranscript
// options, under @agoric/swing-store's names: each writes one gzip file per
// artifact into a directory, through a temporary file renamed into place so
// a crash never leaves a partial archive under the final name.
import { gzipSync } from 'node:zlib';
import type * as FS from 'node:fs';
import type * as Path from 'node:path';

export interface ArchivePowers {
  fs: Pick<typeof FS, 'mkdirSync' | 'writeFileSync' | 'renameSync'>;
  path: Pick<typeof Path, 'join'>;
  /** Accepted for signature compatibility with SwingSet's; not needed. */
  tmp?: unknown;
}

type Chunks = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

async function collect(data: Chunks): Promise<Buffer> {
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const chunks: Uint8Array[] = [];
  for await (const chunk of data as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function makeWriter(dirPath: string, powers: ArchivePowers): (name: string, bytes: Buffer) => void {
  const { fs, path } = powers;
  fs.mkdirSync(dirPath, { recursive: true });
  return (name, bytes) => {
    const destPath = path.join(dirPath, `${name}.gz`);
    const tempPath = path.join(dirPath, `${name}.gz.tmp`);
    fs.writeFileSync(tempPath, bytes, { flush: true });
    fs.renameSync(tempPath, destPath);
  };
}

/** archiveSnapshot(name, gzData): the snapshot is already compressed; stored as `<name>.gz`. */
export function makeArchiveSnapshot(dirPath: string, powers: ArchivePowers): (name: string, gzData: Chunks) => Promise<void> {
  const write = makeWriter(dirPath, powers);
  return async (name, gzData) => write(name, await collect(gzData));
}

/** archiveTranscript(spanName, entries): the span's bytes, gzipped into `<spanName>.gz`. */
export function makeArchiveTranscript(
  dirPath: string,
  powers: ArchivePowers,
): (spanName: string, entries: Chunks) => Promise<void> {
  const write = makeWriter(dirPath, powers);
  return async (spanName, entries) => write(spanName, gzipSync(await collect(entries)));
}
