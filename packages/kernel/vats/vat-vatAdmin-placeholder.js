// Placeholder for the built-in vatAdmin vat, until the real vat-admin
// service lands (next issue). It takes the same vat ID and root export as
// SwingSet's vatAdmin, so other vats see the same bootstrap arguments, and
// it accepts (and ignores) the notices the kernel sends to the vat-admin
// root.
import { Far } from '@endo/far';

export function buildRootObject() {
  const ignored = () => undefined;
  return Far('root', {
    createVatAdminService: () => {
      throw Error('vat-admin service is not available yet (dynamic vats come with the vat-admin issue)');
    },
    bundleInstalled: ignored,
    newVatCallback: ignored,
    vatUpgradeCallback: ignored,
    vatTerminated: ignored,
    meterCrossedThreshold: ignored,
  });
}
