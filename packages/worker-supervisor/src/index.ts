// Placeholder: filled in by later work.
export const packageName: string = '@crankshaft/worker-supervisor';
