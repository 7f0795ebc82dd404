/** Token counts from an OpenAI `usage` object (chat/completions/embeddings or images/responses style). */
export interface Tokens {
  input: number;
  output: number;
}

export function tokensOf(usage: unknown): Tokens | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined);
  const input = num(u.prompt_tokens) ?? num(u.input_tokens);
  const output = num(u.completion_tokens) ?? num(u.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  return { input: input ?? 0, output: output ?? 0 };
}

/**
 * Seconds of audio an audio answer reports: its `usage` of type duration (whisper), else the top-level
 * `duration` of a verbose_json answer; undefined for other answers (token usage, text formats).
 */
export function audioSecondsIn(usage: unknown, text: string): number | undefined {
  const ok = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  if (typeof usage === 'object' && usage !== null && (usage as { type?: unknown }).type === 'duration') {
    const seconds = ok((usage as { seconds?: unknown }).seconds);
    if (seconds !== undefined) return seconds;
  }
  if (!text.includes('"duration"')) return undefined;
  try {
    return ok((JSON.parse(text) as { duration?: unknown }).duration);
  } catch {
    return undefined;
  }
}

/**
 * The top-level `usage` of a JSON answer, read without parsing the whole answer: an embeddings answer is
 * mostly floats (tens of kilobytes per input) and an image answer may be megabytes of base64, while the
 * usage is a few dozen bytes at the end. Takes the last `"usage"` key that is not inside a string and
 * parses just its object; falls back to parsing everything when the text is laid out otherwise.
 */
export function usageInJson(text: string): unknown {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined; // no usage anywhere
  const start = objectAfterKey(text, at + 7);
  if (start >= 0 && text.charCodeAt(at - 1) !== 92 /* \ */) {
    const end = matchingBrace(text, start);
    if (end > 0) {
      try {
        return JSON.parse(text.slice(start, end + 1));
      } catch {
        // not what it looked like: parse the whole answer below
      }
    }
  }
  try {
    return (JSON.parse(text) as { usage?: unknown }).usage;
  } catch {
    return undefined;
  }
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Index of the `{` that follows `: ` at `i`, or -1. */
function objectAfterKey(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 58 /* : */) return -1;
  i++;
  while (isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === 123 /* { */ ? i : -1;
}

/** Index of the `}` closing the object that opens at `start` (strings skipped), or -1. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}
