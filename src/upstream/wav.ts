/** The length of a WAV (RIFF/WAVE PCM) recording, from its header and its size: for metering and the demo. */

/** Enough of a file's start to find the format and the data chunk in any WAV the tools write. */
export const WAV_HEADER_BYTES = 4096;

/**
 * Seconds of audio in a WAV file, given its first bytes and its total size; undefined when it is not a WAV
 * (or its header makes no sense). A data chunk whose declared size is missing or larger than the file (a
 * streamed recording) counts the bytes that are there.
 */
export function wavSeconds(head: Uint8Array, totalBytes: number): number | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 20 <= b.length) byteRate = b.readUInt32LE(at + 16);
    if (id === 'data') {
      if (!byteRate) return undefined;
      const present = Math.max(0, totalBytes - (at + 8));
      return (size === 0 ? present : Math.min(size, present)) / byteRate;
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}
