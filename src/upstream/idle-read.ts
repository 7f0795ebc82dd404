/** Reading an upstream body with a limit on silence: the SSE and byte relays share it. */

export class UpstreamStalled extends Error {}

/** A reader of the next chunk that fails with UpstreamStalled after `idleMs` without one (0: no limit). */
export function idleRead<R extends { read(): Promise<unknown> }>(reader: R, idleMs: number): () => ReturnType<R['read']> {
  return () => {
    if (idleMs <= 0) return reader.read() as ReturnType<R['read']>;
    let timer: Timer | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UpstreamStalled(`the upstream sent nothing for ${idleMs / 1000} s`)), idleMs);
    });
    return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer)) as ReturnType<R['read']>;
  };
}
