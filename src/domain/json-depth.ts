/**
 * How deeply a JSON text nests, found by one pass over the text (no parsing, no recursion), so a body
 * nested 100,000 levels is refused before anything walks it recursively (JSON.stringify overflows the
 * stack on such a value). The limit is generous for real requests: tool schemas nest a dozen levels.
 */
export const MAX_JSON_DEPTH = 128;

/** True when the JSON text nests objects/arrays deeper than `max` (strings are skipped). */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}
