// Pure helpers for the state-sync formats shared by the exporter, the
// importer and repairMetadata: export-data key families, artifact name
// families, and error context.
import { SwingStoreError, fail } from './errors.js';
import type { SwingStoreErrorCode } from './errors.js';

export type ExportDataTag = 'kv' | 'snapshot' | 'transcript' | 'bundle';
export type ArtifactTag = 'snapshot' | 'transcript' | 'bundle';

const metadataTags: ReadonlySet<string> = new Set(['snapshot', 'transcript', 'bundle']);

/** The first dot-separated segment (the whole string if it has no dot). */
export function firstSegment(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

export function exportDataTag(key: string): ExportDataTag {
  const tag = firstSegment(key);
  if (tag === 'kv' || metadataTags.has(tag)) {
    return tag as ExportDataTag;
  }
  return fail('BAD_EXPORT_DATA', `unknown export-data type ${JSON.stringify(tag)} in key ${JSON.stringify(key)}`);
}

export function artifactTag(name: string): ArtifactTag {
  const tag = firstSegment(name);
  if (metadataTags.has(tag)) {
    return tag as ArtifactTag;
  }
  return fail('BAD_ARTIFACT_NAME', `unknown artifact type ${JSON.stringify(tag)} in artifact name ${JSON.stringify(name)}`);
}

/** A kvStore key is exported as `kv.<key>` only when it is a consensus key. */
export function isConsensusKey(key: string): boolean {
  return !key.startsWith('local.') && !key.startsWith('host.');
}

/** `kv.<key>` -> `<key>`; rejects keys that never belong in export data. */
export function kvKeyOfExportKey(exportKey: string): string {
  const key = exportKey.slice('kv.'.length);
  if (key === '' || !isConsensusKey(key)) {
    fail('BAD_EXPORT_DATA', `export-data key ${JSON.stringify(exportKey)} does not name a consensus kvStore key`);
  }
  return key;
}

/**
 * Validates one export-data entry at the parse boundary. Exporters we did not
 * write may hand us anything; a nullish value means "delete".
 */
export function checkExportDataEntry(entry: unknown): [string, string | null] {
  if (!Array.isArray(entry) || entry.length < 1 || entry.length > 2) {
    return fail('BAD_EXPORT_DATA', `malformed export-data entry ${describe(entry)}: expected [key, value]`);
  }
  const [key, value]: unknown[] = entry;
  if (typeof key !== 'string') {
    return fail('BAD_EXPORT_DATA', `malformed export-data entry ${describe(entry)}: key is not a string`);
  }
  if (value === null || value === undefined) {
    return [key, null];
  }
  if (typeof value !== 'string') {
    return fail('BAD_EXPORT_DATA', `export-data key ${JSON.stringify(key)}: value is not a string`);
  }
  return [key, value];
}

function describe(thing: unknown): string {
  try {
    const text = JSON.stringify(thing);
    return text === undefined ? String(thing) : text.slice(0, 120);
  } catch {
    return String(thing);
  }
}

/**
 * Walks an iterable that may also be synchronously iterable. Our own exporter
 * offers both; taking the sync path avoids one promise tick per entry, which
 * dominates the cost for a million-entry export.
 */
export async function forEachOf<T>(
  source: AsyncIterable<T> | Iterable<T>,
  visit: (item: T) => void | Promise<void>,
): Promise<void> {
  if (Symbol.iterator in source) {
    for (const item of source as Iterable<T>) {
      const pending = visit(item);
      if (pending) {
        await pending;
      }
    }
    return;
  }
  for await (const item of source) {
    const pending = visit(item);
    if (pending) {
      await pending;
    }
  }
}

/**
 * Reads export data, handing `kv.*` entries to `onKV` in stream order and
 * returning every other entry de-duplicated (later values win, nullish
 * deletes), in first-seen order.
 */
export async function collectExportData(
  exportData: AsyncIterable<unknown> | Iterable<unknown>,
  onKV: (kvKey: string, value: string | null, exportKey: string) => void | Promise<void>,
): Promise<Map<string, string>> {
  const metadata = new Map<string, string>();
  await forEachOf(exportData, (entry) => {
    const [key, value] = checkExportDataEntry(entry);
    const tag = exportDataTag(key);
    if (tag === 'kv') {
      return onKV(kvKeyOfExportKey(key), value, key);
    }
    if (value === null) {
      metadata.delete(key);
    } else {
      metadata.set(key, value);
    }
    return undefined;
  });
  return metadata;
}

/**
 * Re-throws `error` as a coded SwingStoreError whose message names the
 * thing it concerns (`kind` is e.g. "artifact" or "export-data key"). Coded errors keep their code;
 * anything else (JSON syntax, SQLite constraint) gets `fallbackCode`.
 */
export function withSubject(
  error: unknown,
  fallbackCode: SwingStoreErrorCode,
  kind: string,
  name: string,
): SwingStoreError {
  const message = error instanceof Error ? error.message : String(error);
  const named = message.includes(name) ? message : `${kind} ${JSON.stringify(name)}: ${message}`;
  if (error instanceof SwingStoreError) {
    if (named === message) {
      return error;
    }
    return withCause(new SwingStoreError(error.code, named), error);
  }
  return withCause(new SwingStoreError(fallbackCode, named), error);
}

function withCause(wrapper: SwingStoreError, cause: unknown): SwingStoreError {
  wrapper.cause = cause;
  return wrapper;
}
