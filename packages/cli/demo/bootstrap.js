import { Far, E } from '@endo/far';

export function buildRootObject(_vatPowers, _vatParameters, baggage) {
  return Far('root', {
    async bootstrap(vats, devices) {
      // Vat-admin needs its device before anyone (the host's
      // upgradeStaticVat included) can upgrade or create vats.
      await E(vats.vatAdmin).createVatAdminService(devices.vatAdmin);
      // Presences of other vats are durable, so baggage may hold them.
      baggage.init('counter', vats.counter);
      return E(vats.counter).increment('bootstrap');
    },
    bump: who => E(baggage.get('counter')).increment(who),
    read: () => E(baggage.get('counter')).read(),
    visitors: () => E(baggage.get('counter')).visitors(),
  });
}
