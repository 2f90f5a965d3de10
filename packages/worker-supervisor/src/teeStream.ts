// Split one async byte stream into two readers that each see every chunk.
// Used to save a heap snapshot and start a worker from it at the same time.
// The faster reader never waits; chunks are buffered for the slower one.

export function teeAsyncIterable<T>(source: AsyncIterable<T>): [AsyncIterable<T>, AsyncIterable<T>] {
  const iterator = source[Symbol.asyncIterator]();
  const buffers: [T[], T[]] = [[], []];
  let finished = false;
  let failure: { error: unknown } | undefined;
  // One pull at a time; both readers wait on the same pull.
  let pulling: Promise<void> | undefined;

  const pull = (): Promise<void> => {
    pulling ??= (async () => {
      try {
        const step = await iterator.next();
        if (step.done) {
          finished = true;
        } else {
          buffers[0].push(step.value);
          buffers[1].push(step.value);
        }
      } catch (error) {
        failure = { error };
      } finally {
        pulling = undefined;
      }
    })();
    return pulling;
  };

  const reader = (which: 0 | 1): AsyncIterable<T> => ({
    async *[Symbol.asyncIterator]() {
      const buffer = buffers[which];
      for (;;) {
        const chunk = buffer.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (failure !== undefined) throw failure.error;
        if (finished) return;
        await pull();
      }
    },
  });
  return [reader(0), reader(1)];
}
