// The one list of creation-option keys, kept in a module of its own (no
// imports) so the config validator can use it without loading worker code.

/** Every creation option a config or createVat may name (the config validator uses this list too). */
export const CREATION_OPTION_KEYS: readonly string[] = [
  'enablePipelining',
  'managerType',
  'enableDisavow',
  'enableSetup',
  'useTranscript',
  'critical',
  'reapInterval',
  'reapGCKrefs',
  'neverReap',
  'nodeOptions',
];
