// A heap snapshot on its way into a starting xsnap worker, watched.
//
// xsnap pipes the snapshot's bytes into the new process and is not told
// when the source fails part-way (a stored image that is truncated or does
// not decompress): the process would wait for the rest of the image forever.
// The feed settles `ended` when the source has been read to its end or has
// failed, so the start can fail instead of hanging. When the process gives
// up first (a corrupt image can make it exit before the source notices
// anything), `sourceFailure()` reads on through what it left unread, so the
// error can say that the image was bad rather than only that the process
// exited.

export interface SnapshotFeed {
  /** The bytes to hand to the worker process. */
  readonly stream: AsyncIterable<Uint8Array>;
  /** Resolves once the source is read to its end; rejects with its error. */
  readonly ended: Promise<void>;
  /**
   * After a failed start: the source's own error (reading the rest of it if
   * the worker stopped early), or undefined when it reads cleanly to its end.
   */
  sourceFailure(): Promise<unknown>;
}

type FeedState = { kind: 'reading' } | { kind: 'ended' } | { kind: 'failed'; error: unknown };

export function watchSnapshotFeed(source: AsyncIterable<Uint8Array>): SnapshotFeed {
  const iterator = source[Symbol.asyncIterator]();
  let state: FeedState = { kind: 'reading' };
  let settle: { resolve: () => void; reject: (error: unknown) => void } = { resolve: () => {}, reject: () => {} };
  const ended = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Whoever awaits it sees the rejection; until then it is not unhandled.
  ended.catch(() => {});

  const step = async (): Promise<IteratorResult<Uint8Array, undefined>> => {
    if (state.kind !== 'reading') return { done: true, value: undefined };
    try {
      const result = await iterator.next();
      if (result.done) {
        state = { kind: 'ended' };
        settle.resolve();
        return { done: true, value: undefined };
      }
      return result;
    } catch (error) {
      state = { kind: 'failed', error };
      settle.reject(error);
      throw error;
    }
  };
  // One read of the source at a time, whoever asks (the worker's pipe, or
  // sourceFailure after the pipe was abandoned).
  let queue: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<Uint8Array, undefined>> => {
    const next = queue.then(step);
    queue = next.catch(() => {});
    return next;
  };

  async function* feed(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const result = await pull();
      if (result.done) return;
      yield result.value;
    }
  }

  return {
    stream: feed(),
    ended,
    async sourceFailure() {
      while (state.kind === 'reading') {
        await pull().catch(() => {});
      }
      return state.kind === 'failed' ? state.error : undefined;
    },
  };
}
