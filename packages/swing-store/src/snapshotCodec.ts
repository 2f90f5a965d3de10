// Streaming gzip + SHA-256 for heap snapshots.
//
// Snapshots are tens of megabytes, so both directions make a single pass:
// each raw chunk is hashed on the main thread while zlib (on the libuv
// thread pool) compresses or decompresses, and no raw copy of the whole
// image is ever assembled. The hash always covers the UNCOMPRESSED bytes;
// the gzip bytes are a storage detail and never part of consensus.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';
import type { ByteChunks } from './types.js';

/**
 * zlib's default 16 KiB output chunks cost one async-iterator step each;
 * larger chunks cut that overhead on 50 MB images. Output bytes do not depend
 * on the chunk size (no flushes are inserted), only the slicing does.
 */
const ZLIB_CHUNK_SIZE = 256 * 1024;

export interface CompressedSnapshot {
  /** Lowercase hex SHA-256 of the uncompressed bytes. */
  hash: string;
  uncompressedSize: number;
  compressed: Buffer;
}

const ignore = (): void => {};

/**
 * Hashes and gzips (zlib default level) `source` in one pass. The caller
 * must not mutate a chunk after yielding it: zlib reads it asynchronously.
 */
export async function gzipAndHash(source: ByteChunks): Promise<CompressedSnapshot> {
  const hasher = createHash('sha256');
  const gzip = createGzip({ chunkSize: ZLIB_CHUNK_SIZE });
  const output: Buffer[] = [];
  let compressedSize = 0;
  let uncompressedSize = 0;
  gzip.on('data', (chunk: Buffer) => {
    output.push(chunk);
    compressedSize += chunk.length;
  });
  // `once` also listens for 'error', so a zlib failure rejects this promise
  // instead of crashing the process; mark it handled until we await it.
  const ended = once(gzip, 'end');
  ended.catch(ignore);
  try {
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      hasher.update(chunk);
      uncompressedSize += chunk.length;
      if (!gzip.write(chunk)) {
        await once(gzip, 'drain');
      }
    }
    gzip.end();
    await ended;
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  return {
    hash: hasher.digest('hex'),
    uncompressedSize,
    compressed: output.length === 1 ? (output[0] as Buffer) : Buffer.concat(output, compressedSize),
  };
}

/** Why a decompressing read failed; the caller turns it into a coded error naming the subject. */
export type GunzipFailure =
  | { kind: 'corrupt'; cause: unknown }
  | { kind: 'hash'; actual: string };

/**
 * Yields the gunzipped chunks of `compressed`, hashing them on the way. When
 * the last chunk has been consumed, the SHA-256 is compared with
 * `expectedHash` (if given). Failures are reported through `describeFailure`
 * so errors can name the vat or artifact rather than leak a bare zlib error.
 * A consumer that stops early skips the check (it has not seen everything).
 */
export async function* gunzipAndVerify(
  compressed: Buffer,
  expectedHash: string | undefined,
  describeFailure: (failure: GunzipFailure) => Error,
): AsyncGenerator<Buffer, void, undefined> {
  const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK_SIZE });
  const hasher = expectedHash === undefined ? undefined : createHash('sha256');
  const chunks: AsyncIterator<Buffer> = gunzip[Symbol.asyncIterator]();
  gunzip.end(compressed);
  try {
    for (;;) {
      let step: IteratorResult<Buffer>;
      try {
        step = await chunks.next();
      } catch (cause) {
        throw describeFailure({ kind: 'corrupt', cause });
      }
      if (step.done) break;
      hasher?.update(step.value);
      yield step.value;
    }
  } finally {
    gunzip.destroy();
  }
  if (hasher) {
    const actual = hasher.digest('hex');
    if (actual !== expectedHash) {
      throw describeFailure({ kind: 'hash', actual });
    }
  }
}
