/** Reading the usage of an upstream answer without parsing the whole answer (it meters every call). */
import { describe, expect, test } from 'bun:test';
import { tokensOf, usageInJson } from '../../src/upstream/usage-tokens';

const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 0 } };

describe('usageInJson', () => {
  test('finds the usage of chat, embeddings and pretty-printed answers', () => {
    const chat = { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage };
    expect(usageInJson(JSON.stringify(chat))).toEqual(usage);
    expect(usageInJson(JSON.stringify(chat, null, 2))).toEqual(usage);
    const embeddings = { object: 'list', data: [{ embedding: Array.from({ length: 3072 }, (_, i) => i / 7) }], usage: { prompt_tokens: 5, total_tokens: 5 } };
    expect(tokensOf(usageInJson(JSON.stringify(embeddings)))).toEqual({ input: 5, output: 0 });
  });

  test('is not fooled by "usage" inside strings, as a value, or by braces in strings', () => {
    const tricky = {
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} field; also } and {' } }],
      kind: 'usage',
      usage: { prompt_tokens: 3, completion_tokens: 4, note: 'a } b { "c"' },
    };
    expect(usageInJson(JSON.stringify(tricky))).toEqual(tricky.usage);
    const valueLast = { usage: { prompt_tokens: 1, completion_tokens: 2 }, type: 'usage' };
    expect(usageInJson(JSON.stringify(valueLast))).toEqual(valueLast.usage);
    const contentOnly = { choices: [{ message: { content: 'no "usage": {"prompt_tokens": 5} here' } }] };
    expect(usageInJson(JSON.stringify(contentOnly))).toBeUndefined();
  });

  test('no usage, null usage, and text that is not JSON', () => {
    expect(usageInJson('{"data":[{"url":"https://x"}]}')).toBeUndefined();
    expect(usageInJson('{"usage":null}')).toBeNull();
    expect(usageInJson('<html>"usage": {</html>')).toBeUndefined();
    expect(usageInJson('')).toBeUndefined();
  });
});
