// Placeholder until the worker bundles exist.
