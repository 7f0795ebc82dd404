/**
 * The demo provider's token rule, documented in the README: one token per word (a run of non-space
 * characters) of the text read or written, at least one for the input of a call. It is deterministic and
 * easy to predict, so rate limits, usage reports and batch totals can be checked by hand.
 */

/** Words in a text: runs of non-space characters. */
export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** The text of a message's `content`: a string, or the text parts of an array of parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const p of content) {
    if (p !== null && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string') parts.push((p as { text: string }).text);
  }
  return parts.join(' ');
}

/** Splits a text into the pieces a stream sends: each word with the spaces before it. */
export function streamPieces(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === '' ? [] : [text]);
}

/** The first `max` words of a text (with their spacing), and whether it was cut. */
export function firstWords(text: string, max: number): { text: string; cut: boolean } {
  const pieces = streamPieces(text);
  if (pieces.length <= max) return { text, cut: false };
  return { text: pieces.slice(0, max).join(''), cut: true };
}
