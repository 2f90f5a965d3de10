import { Far } from '@endo/far';

// Version 2, installed by the demo's upgrade step. It finds v1's state in
// baggage, must redefine v1's durable kind (now with a `describe` method),
// and adds `visitors()`.
export function buildRootObject(_vatPowers, vatParameters, baggage) {
  const { defineDurableKind } = VatData;
  const visitors = baggage.get('visitors');
  const makeVisitor = defineDurableKind(baggage.get('visitorKind'), who => ({ who, visits: 0 }), {
    visit: ({ state }) => {
      state.visits += 1;
    },
    describe: ({ state }) => `${state.who} x${state.visits}`,
  });
  const { label } = vatParameters;
  return Far('root', {
    increment(who) {
      if (!visitors.has(who)) visitors.init(who, makeVisitor(who));
      visitors.get(who).visit();
      const count = baggage.get('count') + 1;
      baggage.set('count', count);
      return `${label}: ${who} made it ${count} (v2)`;
    },
    read: () => `${label} (v2) is at ${baggage.get('count')}`,
    visitors: () => [...visitors.values()].map(visitor => visitor.describe()).join(', '),
  });
}
