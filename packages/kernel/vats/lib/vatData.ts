// The slice of liveslots' VatData (handed to every vat in vatPowers) that
// the built-in vats use, with the small `provide`/`prepare` helpers
// @agoric/vat-data offers on top of it. Durable kinds must be redefined on
// every incarnation, so each `prepare*` defines the kind every time and only
// the kind handle and singleton instances live in baggage.

export interface Baggage {
  has(key: string): boolean;
  get(key: string): unknown;
  init(key: string, value: unknown): void;
  set(key: string, value: unknown): void;
}

export interface ScalarSetStore<K> {
  has(key: K): boolean;
  add(key: K): void;
  delete(key: K): void;
  keys(): Iterable<K>;
}

export interface ScalarMapStore<K, V> {
  has(key: K): boolean;
  get(key: K): V;
  init(key: K, value: V): void;
  set(key: K, value: V): void;
  delete(key: K): void;
  entries(): Iterable<[K, V]>;
}

export interface KindContext<S> {
  state: S;
  self: object;
}

type Behavior<S> = Record<string, (context: KindContext<S>, ...args: never[]) => unknown>;

export interface VatData {
  makeKindHandle(tag: string): object;
  defineDurableKind<S, A extends unknown[]>(
    kindHandle: object,
    init: (...args: A) => S,
    behavior: Behavior<S>,
    options?: { finish?: (context: KindContext<S>) => void },
  ): (...args: A) => object;
  makeScalarBigMapStore<K, V>(label: string, options: { durable: boolean }): ScalarMapStore<K, V>;
  makeScalarBigSetStore<K>(label: string, options: { durable: boolean }): ScalarSetStore<K>;
}

/** The value under `key`, made (and stored) on first use. */
export function provide<T>(baggage: Baggage, key: string, make: () => T): T {
  if (!baggage.has(key)) baggage.init(key, make());
  return baggage.get(key) as T;
}

/** Defines (or redefines, after an upgrade) a durable kind named `kindName`. */
export function prepareKind<S, A extends unknown[]>(
  vatData: VatData,
  baggage: Baggage,
  kindName: string,
  init: (...args: A) => S,
  behavior: Behavior<S>,
  options?: { finish?: (context: KindContext<S>) => void },
): (...args: A) => object {
  const kindHandle = provide(baggage, `${kindName}_kindHandle`, () => vatData.makeKindHandle(kindName));
  return vatData.defineDurableKind(kindHandle, init, behavior, options);
}

/** One durable stateless object with these methods (the same one every incarnation). */
export function prepareSingleton<M extends Record<string, (...args: never[]) => unknown>>(
  vatData: VatData,
  baggage: Baggage,
  kindName: string,
  methods: M,
): M {
  const behavior: Behavior<Record<string, never>> = {};
  for (const [name, method] of Object.entries(methods)) {
    behavior[name] = (_context, ...args) => (method as (...a: unknown[]) => unknown)(...args);
  }
  const make = prepareKind(vatData, baggage, kindName, () => ({}), behavior);
  return provide(baggage, `the_${kindName}`, () => make()) as M;
}
