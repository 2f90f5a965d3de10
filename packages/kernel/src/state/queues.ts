// The kernel's persistent FIFO queues: `runQueue` and `acceptanceQueue`
// (each `[head, tail]` plus one `<queue>.<i>` key per event), and the
// `reapQueue` (a JSON list of vatIDs awaiting bringOutYourDead).
import type { RunQueueEvent } from '../shared/types.js';
import { keys } from './kvSchema.js';
import { getRequired, parseJSON, type KVStore } from './kv.js';
import type { KernelStats } from './stats.js';

export type QueueName = 'runQueue' | 'acceptanceQueue';

export interface KernelQueues {
  enqueue(queue: QueueName, event: RunQueueEvent): void;
  dequeue(queue: QueueName): RunQueueEvent | undefined;
  length(queue: QueueName): number;
  dump(queue: QueueName): RunQueueEvent[];
  /** Appends vatID to the reap queue unless it is already there. */
  scheduleReap(vatID: string): void;
  nextReapAction(): { type: 'bringOutYourDead'; vatID: string } | undefined;
  dumpReapQueue(): string[];
}

const bounds = (kv: KVStore, queue: QueueName): [number, number] => parseJSON<[number, number]>(kv, queue);

export function makeKernelQueues(kv: KVStore, stats: KernelStats): KernelQueues {
  const lengthStat = (queue: QueueName): 'runQueueLength' | 'acceptanceQueueLength' =>
    queue === 'runQueue' ? 'runQueueLength' : 'acceptanceQueueLength';

  return {
    enqueue(queue, event) {
      const [head, tail] = bounds(kv, queue);
      kv.set(`${queue}.${tail}`, JSON.stringify(event));
      kv.set(queue, JSON.stringify([head, tail + 1]));
      stats.incStat(lengthStat(queue));
    },
    dequeue(queue) {
      const [head, tail] = bounds(kv, queue);
      if (head >= tail) return undefined;
      const itemKey = `${queue}.${head}`;
      const event = JSON.parse(getRequired(kv, itemKey)) as RunQueueEvent;
      kv.delete(itemKey);
      kv.set(queue, JSON.stringify([head + 1, tail]));
      stats.decStat(lengthStat(queue));
      return event;
    },
    length(queue) {
      const [head, tail] = bounds(kv, queue);
      return tail - head;
    },
    dump(queue) {
      const [head, tail] = bounds(kv, queue);
      const events: RunQueueEvent[] = [];
      for (let i = head; i < tail; i += 1) events.push(JSON.parse(getRequired(kv, `${queue}.${i}`)) as RunQueueEvent);
      return events;
    },
    scheduleReap(vatID) {
      const reapQueue = parseJSON<string[]>(kv, keys.reapQueue);
      if (!reapQueue.includes(vatID)) {
        reapQueue.push(vatID);
        kv.set(keys.reapQueue, JSON.stringify(reapQueue));
      }
    },
    nextReapAction() {
      const reapQueue = parseJSON<string[]>(kv, keys.reapQueue);
      const vatID = reapQueue.shift();
      if (vatID === undefined) return undefined;
      kv.set(keys.reapQueue, JSON.stringify(reapQueue));
      return { type: 'bringOutYourDead', vatID };
    },
    dumpReapQueue: () => parseJSON<string[]>(kv, keys.reapQueue),
  };
}
