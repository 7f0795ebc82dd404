/**
 * Notices a client that stopped reading a streamed answer. Relays pull upstream only when the client
 * reads, so between handing over a chunk (`waiting`) and the next pull (`pulled`) the stream waits on the
 * client alone; when that wait passes the limit, `onStall` ends the stream and frees what it holds.
 */
export class ClientStalled extends Error {}

export function clientStallWatch(limitMs: number, onStall: (err: ClientStalled) => void): { waiting(): void; pulled(): void } {
  let timer: Timer | undefined;
  return {
    waiting() {
      if (limitMs <= 0) return;
      clearTimeout(timer);
      timer = setTimeout(() => onStall(new ClientStalled(`the client read nothing for ${limitMs / 1000} s`)), limitMs);
    },
    pulled() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
