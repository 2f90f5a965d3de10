// Checking the options of E(vatAdminService).createVat(bundlecap, options)
// and turning them into what the kernel's create-vat hook takes: the meter
// becomes its meterID, the critical-vat key becomes a boolean, and
// everything else must be flat data of the right type. Pure, so it can be
// tested outside a vat.

/** The options vat code may pass to createVat. */
export const CREATE_VAT_OPTION_KEYS: readonly string[] = [
  'name',
  'meter',
  'managerType',
  'nodeOptions',
  'vatParameters',
  'enableSetup',
  'enablePipelining',
  'useTranscript',
  'reapInterval',
  'critical',
];

/** Manager types a dynamic vat may ask for (`xs-worker` is read as `xsnap`). */
export const DYNAMIC_MANAGER_TYPES: readonly string[] = ['local', 'node-subprocess', 'xsnap', 'xs-worker'];

const vatNamePattern = /^[A-Za-z0-9._-]+$/;
const MAX_VAT_NAME_LENGTH = 200;

/** What the kernel hook receives (undefined members mean "the default"). */
export interface DynamicVatOptions {
  name: string | undefined;
  meterID: string | undefined;
  managerType: string | undefined;
  vatParameters: unknown;
  enableSetup: boolean | undefined;
  enablePipelining: boolean | undefined;
  useTranscript: boolean | undefined;
  reapInterval: number | undefined;
  critical: boolean;
}

export interface ConvertTools {
  /** The meterID of a meter this vat-admin made, or undefined. */
  meterIDOf(meter: unknown): string | undefined;
  /** Whether `key` is this kernel's critical-vat key. */
  isCriticalVatKey(key: unknown): boolean;
}

const fail = (message: string): never => {
  throw Error(`CreateVatOptions: ${message}`);
};

function insistType(options: Record<string, unknown>, key: string, type: 'string' | 'boolean' | 'number'): void {
  const value = options[key];
  if (value !== undefined && typeof value !== type) fail(`${key} must be a ${type}, got ${typeof value}`);
}

export function convertCreateVatOptions(given: unknown, tools: ConvertTools): DynamicVatOptions {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) fail('options must be a record');
  const options = given as Record<string, unknown>;
  const unknown = Object.keys(options).filter(key => !CREATE_VAT_OPTION_KEYS.includes(key));
  if (unknown.length) fail(`unknown options ${JSON.stringify(unknown.join(','))}`);

  insistType(options, 'name', 'string');
  const name = options['name'] as string | undefined;
  if (name !== undefined) {
    if (name.length >= MAX_VAT_NAME_LENGTH) fail(`oversized vat name ${JSON.stringify(name)}`);
    if (!vatNamePattern.test(name)) fail(`bad vat name ${JSON.stringify(name)}`);
  }
  insistType(options, 'managerType', 'string');
  const managerType = options['managerType'] as string | undefined;
  if (managerType !== undefined && !DYNAMIC_MANAGER_TYPES.includes(managerType)) {
    fail(`bad managerType ${JSON.stringify(managerType)} (one of ${DYNAMIC_MANAGER_TYPES.join(', ')})`);
  }
  // SwingSet's rule. node-subprocess vats run on the local worker, so the
  // options themselves are dropped (there is no child process to hand them to).
  if (managerType !== 'node-subprocess' && options['nodeOptions'] !== undefined) {
    fail(`nodeOptions requires managerType='node-subprocess'`);
  }
  insistType(options, 'enableSetup', 'boolean');
  insistType(options, 'enablePipelining', 'boolean');
  insistType(options, 'useTranscript', 'boolean');
  insistType(options, 'reapInterval', 'number');

  let meterID: string | undefined;
  if (options['meter'] !== undefined) {
    meterID = tools.meterIDOf(options['meter']);
    if (meterID === undefined) fail('meter was not made by this vatAdminService');
  }
  let critical = false;
  if (options['critical'] !== undefined && options['critical'] !== false) {
    if (!tools.isCriticalVatKey(options['critical'])) fail('invalid criticalVatKey');
    critical = true;
  }
  return {
    name,
    meterID,
    managerType,
    vatParameters: options['vatParameters'],
    enableSetup: options['enableSetup'] as boolean | undefined,
    enablePipelining: options['enablePipelining'] as boolean | undefined,
    useTranscript: options['useTranscript'] as boolean | undefined,
    reapInterval: options['reapInterval'] as number | undefined,
    critical,
  };
}
