// The host half of the loopbox device (vats/loopbox/device-loopbox.ts),
// shaped like SwingSet's buildLoopbox(deliverMode): put `loopboxSrcPath` in
// `devices.loopbox.sourceSpec` with `parameters: { senders: [...] }`, pass
// `loopboxEndowments` as its endowments, and in 'queued' mode call
// `passOneMessage()` (true if a message moved) then `controller.run()`.
import { fileURLToPath } from 'node:url';
import { KernelError } from '../shared/errors.js';

export type LoopboxDeliverMode = 'immediate' | 'queued';

export interface LoopboxDeviceEndowments {
  registerPassOneMessage(pass: () => boolean): void;
  deliverMode: LoopboxDeliverMode;
}

export interface HostLoopbox {
  loopboxSrcPath: string;
  loopboxEndowments: LoopboxDeviceEndowments;
  passOneMessage(): boolean;
}

export const LOOPBOX_DEVICE_SOURCE = fileURLToPath(new URL('../../vats/loopbox/device-loopbox.js', import.meta.url));

export function buildLoopbox(deliverMode: LoopboxDeliverMode): HostLoopbox {
  if (deliverMode !== 'immediate' && deliverMode !== 'queued') {
    throw new KernelError('BAD_ARGUMENT', `buildLoopbox: deliverMode=${String(deliverMode)}, must be 'immediate' or 'queued'`);
  }
  let pass: (() => boolean) | undefined;
  return harden({
    loopboxSrcPath: LOOPBOX_DEVICE_SOURCE,
    loopboxEndowments: {
      registerPassOneMessage(fn: () => boolean) {
        pass = fn;
      },
      deliverMode,
    },
    passOneMessage() {
      if (pass === undefined) throw new KernelError('LIFECYCLE', 'loopbox passOneMessage() before the loopbox device started');
      return Boolean(pass());
    },
  });
}
