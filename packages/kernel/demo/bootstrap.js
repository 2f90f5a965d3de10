import { Far, E } from '@endo/far';

export function buildRootObject(_vatPowers, _vatParameters, baggage) {
  return Far('root', {
    async bootstrap(vats) {
      baggage.init('counter', vats.counter);
      return E(vats.counter).increment('bootstrap');
    },
    // Called by the host on later runs (the root is pinned).
    bump: who => E(baggage.get('counter')).increment(who),
  });
}
