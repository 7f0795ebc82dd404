/**
 * The mock upstream's native Responses API (as OpenAI's): POST /responses (JSON, or the event stream with
 * `event:` lines and no [DONE]), GET/DELETE /responses/{id}, GET /responses/{id}/input_items. It echoes
 * the last user text ("echo: …"), calls the first function tool (arguments {"city":"Vienna"}) unless the
 * input ends with a function_call_output (then it echoes that output), answers JSON for a json_schema
 * format, follows previous_response_id chains it stored, and counts reasoning tokens (2) in the output.
 */
import type { Received, Step } from './mock-upstream';

type Json = Record<string, any>;
type Sse = (events: Iterator<object>, step: Step, signal: AbortSignal, entry: Received) => Response;

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
let counter = 0;
const id = (prefix: string) => `${prefix}mock${Date.now().toString(36)}${(counter++).toString(36)}`;

function items(input: unknown): Json[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return Array.isArray(input) ? input : [];
}

function textOf(item: Json): string {
  if (typeof item.content === 'string') return item.content;
  if (Array.isArray(item.content)) return item.content.map((p: Json) => p?.text ?? '').join(' ');
  if (item.type === 'function_call_output') return String(item.output);
  return '';
}

/** A value of a JSON schema (strings are "Vienna"). */
export function sampleOf(schema: Json | undefined): unknown {
  if (!schema || typeof schema !== 'object') return 'Vienna';
  if (schema.type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sampleOf(v as Json)]));
  if (schema.type === 'number' || schema.type === 'integer') return 1;
  if (schema.type === 'boolean') return true;
  if (schema.type === 'array') return [sampleOf(schema.items)];
  return 'Vienna';
}

export class MockResponses {
  readonly stored = new Map<string, { response: Json; input: Json[] }>();

  constructor(private readonly sse: Sse) {}

  handle(method: string, path: string, query: URLSearchParams, body: Json, step: Step, signal: AbortSignal, entry: Received): Response {
    const m = /^\/responses(?:\/([^/]+))?(\/input_items)?$/.exec(path);
    if (!m) return notFound('path');
    const [, rid, inputItems] = m;
    if (method === 'POST' && rid === undefined) return this.create(body, step, signal, entry);
    const kept = rid === undefined ? undefined : this.stored.get(rid);
    if (kept === undefined) return notFound(rid ?? '');
    if (method === 'GET' && inputItems) {
      const data = query.get('order') === 'asc' ? kept.input : [...kept.input].reverse();
      return Response.json({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    }
    if (method === 'GET') return Response.json(kept.response);
    if (method === 'DELETE') {
      this.stored.delete(rid!);
      return Response.json({ id: rid, object: 'response', deleted: true });
    }
    return notFound(path);
  }

  private create(body: Json, step: Step, signal: AbortSignal, entry: Received): Response {
    let history: Json[] = [];
    if (body.previous_response_id) {
      const prev = this.stored.get(body.previous_response_id);
      if (!prev) return Response.json({ error: { message: `Previous response with id '${body.previous_response_id}' not found.`, type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' } }, { status: 400 });
      history = this.conversation(body.previous_response_id);
    }
    const input: Json[] = items(body.input).map((i) => ({ id: i.id ?? id(i.type === "function_call_output" ? "fco_" : "msg_"), ...i }));
    const all = [...history, ...input];
    const last = all.at(-1);
    const fn = Array.isArray(body.tools) ? body.tools.find((t: Json) => t.type === 'function') : undefined;
    const format = body.text?.format;
    let output: Json[];
    if (fn && last?.type !== 'function_call_output') {
      output = [{ id: id('fc_'), type: 'function_call', status: 'completed', arguments: '{"city":"Vienna"}', call_id: id('call_'), name: fn.name }];
    } else {
      const text = format?.type === 'json_schema' ? JSON.stringify(sampleOf(format.schema)) : `echo: ${last ? textOf(last) : ''}`;
      output = [{ id: id('msg_'), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] }];
    }
    const inputTokens = all.reduce((n, i) => n + words(textOf(i)), 0) + (typeof body.instructions === 'string' ? words(body.instructions) : 0);
    const outputTokens = output.reduce((n, i) => n + (i.type === 'function_call' ? 3 : words(i.content[0].text)), 0) + 2;
    const response: Json = {
      id: id('resp_'),
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      error: null,
      incomplete_details: null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: body.model,
      output,
      parallel_tool_calls: true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: body.text ?? { format: { type: 'text' } },
      tool_choice: body.tool_choice ?? 'auto',
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      usage: { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: inputTokens + outputTokens },
      user: null,
      metadata: {},
    };
    if (body.store !== false) this.stored.set(response.id, { response, input });
    if (!body.stream) return Response.json(response);

    let seq = 0;
    const ev = (type: string, fields: Json) => ({ type, sequence_number: seq++, ...fields });
    function* events(): Generator<object> {
      const frame = { ...response, status: 'in_progress', output: [], usage: null };
      yield ev('response.created', { response: frame });
      yield ev('response.in_progress', { response: frame });
      for (const [i, item] of output.entries()) {
        if (item.type === 'function_call') {
          yield ev('response.output_item.added', { output_index: i, item: { ...item, arguments: '', status: 'in_progress' } });
          yield ev('response.function_call_arguments.delta', { item_id: item.id, output_index: i, delta: item.arguments });
          yield ev('response.function_call_arguments.done', { item_id: item.id, output_index: i, arguments: item.arguments });
        } else {
          const text: string = item.content[0].text;
          yield ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress', content: [] } });
          yield ev('response.content_part.added', { item_id: item.id, output_index: i, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
          for (const w of text.split(/(?<= )/)) yield ev('response.output_text.delta', { item_id: item.id, output_index: i, content_index: 0, delta: w, logprobs: [] });
          yield ev('response.output_text.done', { item_id: item.id, output_index: i, content_index: 0, text, logprobs: [] });
          yield ev('response.content_part.done', { item_id: item.id, output_index: i, content_index: 0, part: item.content[0] });
        }
        yield ev('response.output_item.done', { output_index: i, item });
      }
      yield ev('response.completed', { response });
    }
    return this.sse(events(), step, signal, entry);
  }

  private conversation(rid: string): Json[] {
    const kept = this.stored.get(rid);
    if (!kept) return [];
    const before = kept.response.previous_response_id ? this.conversation(kept.response.previous_response_id) : [];
    return [...before, ...kept.input, ...kept.response.output];
  }
}

function notFound(what: string): Response {
  return Response.json({ error: { message: `No response found with id '${what}'.`, type: 'invalid_request_error', param: null, code: null } }, { status: 404 });
}
