import { Far } from '@endo/far';

export function buildRootObject(_vatPowers, vatParameters, baggage) {
  // Baggage is durable: it survives worker restarts and upgrades.
  if (!baggage.has('count')) baggage.init('count', 0);
  const { label } = vatParameters;
  return Far('root', {
    increment(who) {
      const count = baggage.get('count') + 1;
      baggage.set('count', count);
      return `${label}: ${who} made it ${count}`;
    },
    read: () => `${label} (v1) is at ${baggage.get('count')}`,
  });
}
