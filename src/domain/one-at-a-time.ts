/**
 * Jobs that must not overlap, run one after another in the order asked for: the key cache's catch-ups and
 * reloads (key-cache.ts), which read the database across several awaits and then change shared maps — two
 * running at once could apply an older read over a newer one.
 *
 * A job asked for while one of the same kind is still waiting to start joins it instead of queueing another:
 * the waiting one has not read anything yet, so it will see whatever the new request would have seen. A
 * waiting job of a `covering` kind (a full reload covers a catch-up) is joined the same way.
 */
export type Ask<K extends string> = (kind: K, job: () => Promise<void>) => Promise<void>;

export function oneAtATime<K extends string>(covers: (waiting: K, asked: K) => boolean): Ask<K> & { idle(): Promise<void> } {
  let tail: Promise<void> = Promise.resolve();
  let waiting: { kind: K; done: Promise<void> } | undefined;
  const ask = (kind: K, job: () => Promise<void>): Promise<void> => {
    if (waiting !== undefined && covers(waiting.kind, kind)) return waiting.done;
    const entry: { kind: K; done: Promise<void> } = { kind, done: Promise.resolve() };
    entry.done = tail.then(() => {
      if (waiting === entry) waiting = undefined; // started: later requests need a run of their own
      return job();
    });
    waiting = entry;
    tail = entry.done.catch(() => {}); // a failed job does not stop the ones after it
    return entry.done;
  };
  /** Resolves when every job asked for so far has finished (whatever their outcome). */
  const idle = () => tail;
  return Object.assign(ask, { idle });
}
