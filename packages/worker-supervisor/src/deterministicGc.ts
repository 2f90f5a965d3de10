// GC tools that make a local (in-process) vat see garbage collection only at
// bringOutYourDead, the way an xsnap vat does. Under Node, organic GC runs
// whenever the engine likes, so real WeakRefs empty and real finalizers fire
// at moments that differ between two runs and between a run and its replay;
// liveslots would then make different GC syscalls (anachrophobia).
//
// - WeakRef: holds its target strongly between BOYDs; only during
//   gcAndFinalize is it weakened, so deref() answers the same in every run.
// - FinalizationRegistry: never uses engine callbacks (their timing is the
//   engine's). gcAndFinalize checks, after a forced full GC, which registered
//   targets are gone and calls the callback for each, in registration order.
//
// One set of tools per vat: a vat's BOYD weakens only its own WeakRefs.

export interface DeterministicGcTools {
  WeakRef: WeakRefConstructor;
  FinalizationRegistry: FinalizationRegistryConstructor;
  /** Weaken, collect, re-strengthen survivors, then run due finalizers. */
  gcAndFinalize(): Promise<void>;
}

export interface DeterministicGcPowers {
  /**
   * A full, synchronous engine collection that frees everything
   * unreachable now, whatever the engine was doing (see localWorker.ts).
   */
  engineGC(): void;
  /** Lets the current job end (so the engine stops keeping deref'd targets alive). */
  settle(): Promise<void>;
}

interface Registration {
  seq: number;
  target: WeakRef<object>;
  heldValue: unknown;
  token: WeakRef<object> | undefined;
}

const RealWeakRef = globalThis.WeakRef;

export function makeDeterministicGcTools(powers: DeterministicGcPowers): DeterministicGcTools {
  const { engineGC, settle } = powers;

  // Every live shim, held weakly: a shim liveslots dropped must not keep
  // its target alive.
  const shims = new Set<WeakRef<DeterministicWeakRef>>();
  // Set by the class's static block, the only place that sees #strong.
  let weakenShim: (shim: DeterministicWeakRef) => void = () => {};
  let strengthenShim: (shim: DeterministicWeakRef) => boolean = () => false;

  class DeterministicWeakRef {
    #strong: object | undefined;
    readonly #weak: WeakRef<object>;

    constructor(target: object) {
      // the engine's own WeakRef refuses non-objects with the right TypeError
      this.#weak = new RealWeakRef(target);
      this.#strong = target;
      shims.add(new RealWeakRef(this));
    }

    deref(): object | undefined {
      return this.#strong ?? this.#weak.deref();
    }

    static {
      weakenShim = shim => {
        shim.#strong = undefined;
      };
      strengthenShim = shim => {
        shim.#strong = shim.#weak.deref();
        return shim.#strong !== undefined;
      };
    }
  }
  Object.defineProperty(DeterministicWeakRef.prototype, Symbol.toStringTag, { value: 'WeakRef' });

  // One entry per registry: returns its due finalizers, or undefined once
  // the registry itself is gone (then the entry is dropped).
  let registries: Array<() => Array<(() => void) & { seq: number }> | undefined> = [];
  let nextSeq = 0;

  class DeterministicFinalizationRegistry {
    readonly #callback: (heldValue: unknown) => void;
    #registrations: Registration[] = [];

    constructor(callback: (heldValue: unknown) => void) {
      if (typeof callback !== 'function') throw TypeError('FinalizationRegistry: cleanup must be callable');
      this.#callback = callback;
      const self = new RealWeakRef(this);
      // Runs after the forced GC: takes this registry's dead targets.
      registries.push(() => {
        const registry = self.deref();
        if (registry === undefined) return undefined;
        const due: Array<(() => void) & { seq: number }> = [];
        const kept: Registration[] = [];
        for (const registration of registry.#registrations) {
          if (registration.target.deref() === undefined) {
            const { seq, heldValue } = registration;
            const callback = registry.#callback;
            due.push(Object.assign(() => callback(heldValue), { seq }));
          } else {
            kept.push(registration);
          }
        }
        registry.#registrations = kept;
        return due;
      });
    }

    register(target: object, heldValue: unknown, unregisterToken?: object): void {
      if (target === heldValue) throw TypeError('FinalizationRegistry.register: target and holdings must not be the same');
      const registration: Registration = {
        seq: nextSeq,
        target: new RealWeakRef(target),
        heldValue,
        token: unregisterToken === undefined ? undefined : new RealWeakRef(unregisterToken),
      };
      nextSeq += 1;
      this.#registrations.push(registration);
    }

    unregister(unregisterToken: object): boolean {
      const before = this.#registrations.length;
      this.#registrations = this.#registrations.filter(r => r.token === undefined || r.token.deref() !== unregisterToken);
      return this.#registrations.length !== before;
    }
  }
  Object.defineProperty(DeterministicFinalizationRegistry.prototype, Symbol.toStringTag, {
    value: 'FinalizationRegistry',
  });

  async function gcAndFinalize(): Promise<void> {
    for (const ref of shims) {
      const shim = ref.deref();
      if (shim === undefined) shims.delete(ref);
      else weakenShim(shim);
    }
    await settle();
    engineGC();
    await settle();
    for (const ref of shims) {
      const shim = ref.deref();
      if (shim === undefined || !strengthenShim(shim)) shims.delete(ref);
    }
    const due: Array<(() => void) & { seq: number }> = [];
    registries = registries.filter(take => {
      const found = take();
      if (found !== undefined) due.push(...found);
      return found !== undefined;
    });
    due.sort((a, b) => a.seq - b.seq);
    for (const finalize of due) finalize();
    await settle();
  }

  return {
    WeakRef: DeterministicWeakRef as unknown as WeakRefConstructor,
    FinalizationRegistry: DeterministicFinalizationRegistry as unknown as FinalizationRegistryConstructor,
    gcAndFinalize,
  };
}
