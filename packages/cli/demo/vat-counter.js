import { Far } from '@endo/far';

// Version 1. Everything it keeps is durable (baggage, a durable kind and a
// durable map), so it survives worker restarts and upgrades.
export function buildRootObject(_vatPowers, vatParameters, baggage) {
  const { makeKindHandle, defineDurableKind, makeScalarBigMapStore } = VatData;
  if (!baggage.has('count')) {
    baggage.init('count', 0);
    baggage.init('visitorKind', makeKindHandle('Visitor'));
    baggage.init('visitors', makeScalarBigMapStore('visitors', { durable: true }));
  }
  const visitors = baggage.get('visitors');
  const makeVisitor = defineDurableKind(baggage.get('visitorKind'), who => ({ who, visits: 0 }), {
    visit: ({ state }) => {
      state.visits += 1;
    },
  });
  const { label } = vatParameters;
  return Far('root', {
    increment(who) {
      if (!visitors.has(who)) visitors.init(who, makeVisitor(who));
      visitors.get(who).visit();
      const count = baggage.get('count') + 1;
      baggage.set('count', count);
      return `${label}: ${who} made it ${count}`;
    },
    read: () => `${label} (v1) is at ${baggage.get('count')}`,
  });
}
