/**
 * OpenAI answers → Anthropic's formats, for the /v1/messages front: a chat.completion → a Message, a
 * chat.completion.chunk stream → Anthropic's SSE events (message_start, content_block_start / delta /
 * stop for thinking, text and tool_use, message_delta with the usage, message_stop), an OpenAI error →
 * Anthropic's error shape.
 */
import { sseEvents } from '../../upstream/translating';
import { isObject } from '../../json';

type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', function_call: 'tool_use', content_filter: 'refusal' };
export const stopReason = (finish: unknown) => STOP[String(finish)] ?? 'end_turn';

/** OpenAI usage → Anthropic usage: cached prompt tokens are reported apart from input_tokens, as Anthropic does. */
export function anthropicUsage(u: unknown): Json {
  const usage = isObject(u) ? u : {};
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const read = num(details.cached_tokens);
  const created = num(details.cache_creation_tokens);
  return {
    input_tokens: Math.max(0, num(usage.prompt_tokens ?? usage.input_tokens) - read - created),
    output_tokens: num(usage.completion_tokens ?? usage.output_tokens),
    cache_creation_input_tokens: created,
    cache_read_input_tokens: read,
  };
}

const messageId = (id: unknown) => (typeof id === 'string' && id.startsWith('msg_') ? id : `msg_${typeof id === 'string' && id !== '' ? id.replace(/^chatcmpl-/, '') : crypto.randomUUID().replaceAll('-', '')}`);

function parseArgs(args: unknown): unknown {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

export function anthropicMessage(answer: unknown, model: string): Json {
  const a = isObject(answer) ? answer : {};
  const choice = Array.isArray(a.choices) && isObject(a.choices[0]) ? a.choices[0] : {};
  const m = isObject(choice.message) ? choice.message : {};
  const content: Json[] = [];
  if (Array.isArray(m.thinking_blocks) && m.thinking_blocks.length > 0) content.push(...m.thinking_blocks.filter(isObject));
  else if (typeof m.reasoning_content === 'string' && m.reasoning_content !== '') content.push({ type: 'thinking', thinking: m.reasoning_content, signature: '' });
  if (typeof m.content === 'string' && m.content !== '') content.push({ type: 'text', text: m.content });
  for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    if (!isObject(call) || !isObject(call.function)) continue;
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArgs(call.function.arguments) });
  }
  return { id: messageId(a.id), type: 'message', role: 'assistant', model, content, stop_reason: stopReason(choice.finish_reason), stop_sequence: null, usage: anthropicUsage(a.usage) };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};
export const anthropicErrorType = (status: number) => ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

export const anthropicError = (status: number, message: string) => ({ type: 'error', error: { type: anthropicErrorType(status), message } });

const encoder = new TextEncoder();
const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The OpenAI SSE stream of a chat call → Anthropic's SSE events, as the chunks arrive. */
export function anthropicStream(body: ReadableStream<Uint8Array>, model: string): ReadableStream<Uint8Array> {
  let started = false;
  let index = -1;
  /** What the open block is: 'text', 'thinking', or `tool:<openai index>`; undefined when none is open. */
  let open: string | undefined;
  const toolBlocks = new Map<number, number>();
  let stop = 'end_turn';
  let usage: Json = { input_tokens: 0, output_tokens: 0 };
  let finished = false;

  const close = () => {
    if (open === undefined) return '';
    open = undefined;
    return sse('content_block_stop', { type: 'content_block_stop', index });
  };
  const openBlock = (kind: string, block: Json) => {
    const out = close();
    index++;
    open = kind;
    return out + sse('content_block_start', { type: 'content_block_start', index, content_block: block });
  };
  const start = (id: unknown) => {
    if (started) return '';
    started = true;
    const message = { id: messageId(id), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
    return sse('message_start', { type: 'message_start', message });
  };

  const onChunk = (c: Json): string => {
    if (isObject(c.error)) {
      finished = true;
      return sse('error', { type: 'error', error: { type: 'api_error', message: String(c.error.message ?? 'The upstream stream failed.') } });
    }
    let out = start(c.id);
    if (isObject(c.usage)) usage = anthropicUsage(c.usage);
    const choice = Array.isArray(c.choices) && isObject(c.choices[0]) ? c.choices[0] : undefined;
    if (!choice) return out;
    const d = isObject(choice.delta) ? choice.delta : {};
    if (typeof d.reasoning_content === 'string' && d.reasoning_content !== '') {
      if (open !== 'thinking') out += openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
      out += sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: d.reasoning_content } });
    }
    for (const b of Array.isArray(d.thinking_blocks) ? d.thinking_blocks.filter(isObject) : []) {
      if (b.type === 'redacted_thinking') out += openBlock('redacted', b) + close();
      else if (typeof b.signature === 'string' && b.signature !== '') {
        if (open !== 'thinking') out += openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
        out += sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } });
      }
    }
    if (typeof d.content === 'string' && d.content !== '') {
      if (open !== 'text') out += openBlock('text', { type: 'text', text: '' });
      out += sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: d.content } });
    }
    for (const call of Array.isArray(d.tool_calls) ? d.tool_calls.filter(isObject) : []) {
      const n = typeof call.index === 'number' ? call.index : 0;
      const f = isObject(call.function) ? call.function : {};
      if (!toolBlocks.has(n)) {
        out += openBlock(`tool:${n}`, { type: 'tool_use', id: call.id ?? `toolu_${crypto.randomUUID().replaceAll('-', '')}`, name: f.name ?? '', input: {} });
        toolBlocks.set(n, index);
      }
      if (typeof f.arguments === 'string' && f.arguments !== '') {
        out += sse('content_block_delta', { type: 'content_block_delta', index: toolBlocks.get(n), delta: { type: 'input_json_delta', partial_json: f.arguments } });
      }
    }
    if (choice.finish_reason) {
      stop = stopReason(choice.finish_reason);
      out += close();
    }
    return out;
  };

  const onDone = () => {
    finished = true;
    let out = start(undefined) + close();
    out += sse('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage });
    return out + sse('message_stop', { type: 'message_stop' });
  };

  return sseEvents(body, ({ data }) => {
    if (finished) return '';
    if (data === '[DONE]') return onDone();
    try {
      return onChunk(JSON.parse(data) as Json);
    } catch {
      return '';
    }
  }).pipeThrough(new TransformStream<string, Uint8Array>({ transform: (text, controller) => controller.enqueue(encoder.encode(text)) }));
}
