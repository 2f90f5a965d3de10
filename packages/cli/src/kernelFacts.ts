// What the commands read about a kernel straight from its store, by the
// key schema of docs/kernel-state.md: vats and their options, c-list and
// vatstore sizes, object and promise counts, queues and stats. Range
// queries on the kvStore table count keys without loading them.
import type { SwingStore } from '@crankshaft/swing-store';
import type { VatConfig } from '@crankshaft/vat-warehouse';
import { CliError } from './cliErrors.js';

export interface VatRecord {
  vatID: string;
  name: string;
  dynamic: boolean;
  /** Alive, or terminated with its state still being deleted. */
  status: 'alive' | 'terminated';
  managerType: string;
  options: Record<string, unknown>;
  source: { bundleID: string };
}

/** The smallest key greater than every key that starts with `prefix`. */
export function prefixUpperBound(prefix: string): string {
  if (prefix === '') throw Error('prefixUpperBound needs a non-empty prefix');
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

const parseJSON = (text: string | undefined, what: string): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(what, 'holds malformed JSON');
  }
};

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const stringList = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

export interface KernelFacts {
  get(key: string): string | undefined;
  countPrefix(prefix: string): number;
  /** Keys that start with `prefix` and end with `suffix`. */
  countPrefixSuffix(prefix: string, suffix: string): number;
  /** Keys with this prefix, in order (for small families only). */
  keysWithPrefix(prefix: string): string[];
  vats(): VatRecord[];
  /** The vat by ID or name; a CliError if neither matches. */
  findVat(idOrName: string): VatRecord;
  /** The VatConfig a worker for this vat gets (as the kernel builds it). */
  workerConfig(vat: VatRecord): VatConfig;
}

export function makeKernelFacts(store: SwingStore): KernelFacts {
  const kv = store.kernelStorage.kvStore;
  const db = store.debug.getDatabase();
  const sqlCount = db.prepare<[string, string], number>('SELECT COUNT(*) FROM kvStore WHERE key >= ? AND key < ?').pluck();
  const sqlCountSuffix = db
    .prepare<[string, string, string, string], number>(
      'SELECT COUNT(*) FROM kvStore WHERE key >= ? AND key < ? AND substr(key, -length(?)) = ?',
    )
    .pluck();
  const sqlKeys = db.prepare<[string, string], string>('SELECT key FROM kvStore WHERE key >= ? AND key < ? ORDER BY key').pluck();
  const get = (key: string): string | undefined => kv.get(key);

  const vats = (): VatRecord[] => {
    const staticNames = stringList(parseJSON(get('vat.names'), 'kv vat.names'));
    const dynamicIDs = stringList(parseJSON(get('vat.dynamicIDs'), 'kv vat.dynamicIDs'));
    const terminated = new Set(stringList(parseJSON(get('vats.terminated'), 'kv vats.terminated')));
    const ids: { vatID: string; name?: string; dynamic: boolean }[] = [];
    for (const name of staticNames) {
      const vatID = get(`vat.name.${name}`);
      if (vatID !== undefined) ids.push({ vatID, name, dynamic: false });
    }
    for (const vatID of dynamicIDs) ids.push({ vatID, dynamic: true });
    for (const vatID of terminated) {
      if (!ids.some(entry => entry.vatID === vatID)) ids.push({ vatID, dynamic: true });
    }
    return ids.map(({ vatID, name, dynamic }) => {
      const options = parseJSON(get(`${vatID}.options`), `kv ${vatID}.options`);
      const source = parseJSON(get(`${vatID}.source`), `kv ${vatID}.source`);
      const opts = isRecord(options) ? options : {};
      const workerOptions = isRecord(opts['workerOptions']) ? opts['workerOptions'] : {};
      return {
        vatID,
        name: name ?? (typeof opts['name'] === 'string' ? opts['name'] : vatID),
        dynamic,
        status: terminated.has(vatID) || options === undefined ? 'terminated' : 'alive',
        managerType: typeof workerOptions['type'] === 'string' ? workerOptions['type'] : 'unknown',
        options: opts,
        source: { bundleID: isRecord(source) && typeof source['bundleID'] === 'string' ? source['bundleID'] : '' },
      };
    });
  };

  return {
    get,
    countPrefix: prefix => sqlCount.get(prefix, prefixUpperBound(prefix)) ?? 0,
    countPrefixSuffix: (prefix, suffix) => sqlCountSuffix.get(prefix, prefixUpperBound(prefix), suffix, suffix) ?? 0,
    keysWithPrefix: prefix => sqlKeys.all(prefix, prefixUpperBound(prefix)),
    vats,
    findVat(idOrName) {
      const all = vats();
      const found = all.find(vat => vat.vatID === idOrName) ?? all.find(vat => vat.name === idOrName);
      if (!found) {
        throw new CliError(`vat ${idOrName}`, `is not in this kernel (vats: ${all.map(v => `${v.vatID} ${v.name}`).join(', ')})`);
      }
      return found;
    },
    workerConfig(vat) {
      const { options } = vat;
      const config: VatConfig = {
        name: vat.name,
        source: vat.source,
        workerOptions: options['workerOptions'] as VatConfig['workerOptions'],
        metered: options['meterID'] !== undefined,
        // As the kernel passes them (an absent enableDisavow stays absent).
        liveSlotsOptions: {
          ...(typeof options['enableDisavow'] === 'boolean' ? { enableDisavow: options['enableDisavow'] } : {}),
          relaxDurabilityRules: get('kernel.relaxDurabilityRules') !== undefined,
        },
      };
      if (options['useTranscript'] === false) config.useTranscript = false;
      return config;
    },
  };
}
