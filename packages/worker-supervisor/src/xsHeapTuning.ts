// Heap sizing for xsnap workers, and why it matters.
//
// The XS in @agoric/xsnap 0.15.0 (moddable f6c5951) grows its slot heap
// only when a collection frees no slot at all: `fxCollect` clears the
// "thrashing" flag after every organic collection (it is called with
// XS_ORGANIC_FLAG, and any non-zero flag clears it), so the heuristic meant
// to grow a crowded heap never fires. While a vat's live set grows, the
// heap stays nearly full: each collection frees only the garbage made
// since the previous one, and collections come every few hundred
// allocations until one frees nothing; then XS adds `incrementalHeapCount`
// slots (128K, 4 MB) and it starts again. Every collection marks and
// sweeps the whole heap, so a delivery that retains a lot costs time in
// proportion to the square of what it retains: a vat making 2,000 sends
// whose results stay pending runs ~360 full collections of a heap of up to
// 1.3M slots (about 16 s of XS time for a delivery whose work is ~2 s).
//
// xsnap-worker takes no heap options, but a worker started from a heap
// snapshot is created with the creation record stored in the snapshot, and
// writes the same record into its own later snapshots. So the base
// snapshot every fresh worker starts from (zygote.ts) gets a larger
// increment: each crowded episode then buys 512K slots (16 MB), and there
// are four times fewer of them. The boot also makes 256K slots of room
// (growHeap) so a fresh vat does not start in a full heap. The record is
// patched only after checking it has exactly the layout and the default
// values we expect; otherwise the snapshot is used unchanged.

/** Free heap slots made in a fresh worker before its vat arrives (8 MB). */
export const DEFAULT_HEAP_ROOM_SLOTS = 256 * 1024;
/** Slots XS adds each time its heap is full (xsnap-worker's own value is 128K). */
export const DEFAULT_HEAP_INCREMENT_SLOTS = 512 * 1024;

/** xsnap-worker's creation parameters (xsnap-worker.c), as a snapshot records them. */
const XSNAP_DEFAULT_INCREMENTAL_HEAP_COUNT = 128 * 1024;
// txCreation is twelve 32-bit fields; incrementalHeapCount is the fourth.
const CREATION_FIELDS = 12;
const INCREMENTAL_HEAP_COUNT_FIELD = 3;
const MAX_INCREMENT_SLOTS = 16 * 1024 * 1024;

/** The range a heap growth step may take (xsnap's own step up to 16M slots). */
export const isValidHeapIncrement = (slots: number): boolean =>
  Number.isSafeInteger(slots) && slots >= XSNAP_DEFAULT_INCREMENTAL_HEAP_COUNT && slots <= MAX_INCREMENT_SLOTS;

export type PatchResult = { ok: true; bytes: Uint8Array; previous: number } | { ok: false; problem: string };

const atomType = (bytes: Uint8Array, offset: number): string =>
  String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));

type Located = { ok: true; fieldAt: number } | { ok: false; problem: string };

/** Where the creation record's incrementalHeapCount sits in an xsnap snapshot. */
function locateHeapIncrement(snapshot: Uint8Array): Located {
  const view = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  // Atoms are [size (u32 big-endian, header included), type (4 ASCII)].
  // The file is one XS_M atom holding VERS, SIGN, CREA, ... in that order.
  let offset = 0;
  for (const type of ['XS_M', 'VERS', 'SIGN', 'CREA']) {
    if (offset + 8 > snapshot.byteLength || atomType(snapshot, offset) !== type) {
      return { ok: false, problem: `no ${type} atom where expected` };
    }
    const size = view.getUint32(offset, false);
    if (type === 'CREA') {
      // the record, then profileID and tag (32 bits each)
      const expected = 8 + 4 * (CREATION_FIELDS + 2);
      if (size !== expected) return { ok: false, problem: `CREA atom has ${size} bytes, not ${expected}` };
      return { ok: true, fieldAt: offset + 8 + 4 * INCREMENTAL_HEAP_COUNT_FIELD };
    }
    offset = type === 'XS_M' ? offset + 8 : offset + size;
  }
  return { ok: false, problem: 'unreachable' };
}

// txCreation is written in the machine's byte order; xsnap runs on little-endian hosts.
const readField = (snapshot: Uint8Array, at: number): number =>
  new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength).getInt32(at, true);

/** The creation record's incrementalHeapCount, or undefined if the layout is not the expected one. */
export function readSnapshotHeapIncrement(snapshot: Uint8Array): number | undefined {
  const located = locateHeapIncrement(snapshot);
  return located.ok ? readField(snapshot, located.fieldAt) : undefined;
}

/**
 * A copy of an XS snapshot whose creation record asks for `slots` per heap
 * growth. The snapshot must be one xsnap-worker wrote with its default
 * increment; anything else is refused (with the reason), never guessed at.
 */
export function setSnapshotHeapIncrement(snapshot: Uint8Array, slots: number): PatchResult {
  if (!isValidHeapIncrement(slots)) {
    return {
      ok: false,
      problem: `increment must be ${XSNAP_DEFAULT_INCREMENTAL_HEAP_COUNT}..${MAX_INCREMENT_SLOTS} slots, not ${slots}`,
    };
  }
  const located = locateHeapIncrement(snapshot);
  if (!located.ok) return located;
  const previous = readField(snapshot, located.fieldAt);
  if (previous !== XSNAP_DEFAULT_INCREMENTAL_HEAP_COUNT) {
    return { ok: false, problem: `incrementalHeapCount is ${previous}, not xsnap's ${XSNAP_DEFAULT_INCREMENTAL_HEAP_COUNT}` };
  }
  const patched = new Uint8Array(snapshot);
  new DataView(patched.buffer).setInt32(located.fieldAt, slots, true);
  return { ok: true, bytes: patched, previous };
}
