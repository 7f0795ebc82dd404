/**
 * A chat stream's reasoning (`reasoning_content`, as vLLM, DeepSeek and others send it) translated into the
 * Responses events the SDKs show as reasoning: a summary part streamed as summary text deltas, then the text.
 */
import { expect, test } from 'bun:test';
import { ItemIds } from '../../src/response-ids';
import { chatStreamToResponses } from '../../src/upstream/responses/stream';

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;

test('reasoning_content becomes reasoning summary deltas before the answer text, and the final response holds both', async () => {
  const sse = [
    chunk({ role: 'assistant', reasoning_content: 'The user ' }),
    chunk({ reasoning_content: 'wants a number.' }),
    chunk({ content: '4' }),
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  const ids = new ItemIds();
  const out = await new Response(chatStreamToResponses(new Response(sse).body!, { model: 'm', input: '2+2?' }, ids)).text();
  const events = out
    .split('\n\n')
    .filter((e) => e.startsWith('event: '))
    .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as Record<string, unknown> & { type: string });
  expect(events.map((e) => e.type)).toEqual([
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.reasoning_summary_part.added',
    'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done',
    'response.reasoning_summary_part.done',
    'response.output_item.done',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]);
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  const rs = events[2]!.item as { id: string };
  expect(events.filter((e) => e.type === 'response.reasoning_summary_text.delta').map((e) => [e.item_id, e.output_index, e.summary_index, e.delta])).toEqual([
    [rs.id, 0, 0, 'The user '],
    [rs.id, 0, 0, 'wants a number.'],
  ]);
  expect(events[6]).toMatchObject({ item_id: rs.id, text: 'The user wants a number.' });
  expect(events[7]).toMatchObject({ part: { type: 'summary_text', text: 'The user wants a number.' } });
  const final = events.at(-1)!.response as { id: string; output: Record<string, unknown>[]; usage: Record<string, unknown> };
  expect(final.id).toBe(ids.responseId);
  expect(final.output).toMatchObject([
    { id: rs.id, type: 'reasoning', summary: [{ type: 'summary_text', text: 'The user wants a number.' }] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '4' }] },
  ]);
  expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 9 });
});
