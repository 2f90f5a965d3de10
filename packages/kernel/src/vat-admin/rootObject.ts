// A vat's root object is its export `o+0`; the kernel exports it when the
// vat is created so the bootstrap vat (or vat-admin's caller) can be given it.
import type { KernelKeeper } from '../state/kernelKeeper.js';

/** Exports (or finds) a vat's root object `o+0`; returns its kref. */
export function exportRootObject(keeper: KernelKeeper, vatID: string): string {
  return keeper.provideVatKeeper(vatID).mapVatSlotToKernelSlot('o+0');
}
