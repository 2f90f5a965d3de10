// Placeholder for the built-in timer vat, until the timer device and the
// timer service land (a later issue). It takes the same vat ID and root
// export as SwingSet's timer vat so other vats see the same bootstrap
// arguments.
import { Far } from '@endo/far';

export function buildRootObject() {
  return Far('root', {
    createTimerService: () => {
      throw Error('the timer service is not available yet (it needs the timer device)');
    },
  });
}
