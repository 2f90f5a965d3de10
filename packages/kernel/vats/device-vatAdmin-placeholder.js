// Placeholder for the built-in vatAdmin device, until the real vat-admin
// device lands (next issue). It exists so the bootstrap vat's `devices`
// argument has the same shape as under SwingSet.
import { Far } from '@endo/far';

export function buildRootDeviceNode() {
  return Far('root', {});
}
