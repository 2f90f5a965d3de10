import { Far } from '@endo/far';

export function buildRootObject(_vatPowers, _vatParameters, baggage) {
  // Durable state: survives worker restarts (snapshot plus replay).
  if (!baggage.has('count')) baggage.init('count', 0);
  return Far('root', {
    increment(who) {
      const count = baggage.get('count') + 1;
      baggage.set('count', count);
      return `${who} made it ${count}`;
    },
  });
}
