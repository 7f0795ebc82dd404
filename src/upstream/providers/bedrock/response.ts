/**
 * Bedrock Converse answers → OpenAI chat completions: text blocks joined, `toolUse` blocks → tool_calls
 * (the forced `json_tool_call` → the content instead), stopReason → finish_reason (end_turn and
 * stop_sequence → stop, tool_use → tool_calls, max_tokens → length, guardrail_intervened and
 * content_filtered → content_filter), usage → usage; ConverseStream events → chunks.
 */
import type { EventMessage } from './event-stream';
import { JSON_TOOL } from './request';
import { isObject } from '../../../json';

type Json = Record<string, unknown>;
const newId = () => crypto.randomUUID().replaceAll('-', '').slice(0, 24);
const utf8 = new TextDecoder();

export function finishReason(stop: unknown, jsonTool: boolean): string {
  switch (stop) {
    case 'tool_use':
      return jsonTool ? 'stop' : 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function usageOf(u: unknown): Json {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const x = isObject(u) ? u : {};
  const prompt = n(x.inputTokens) + n(x.cacheReadInputTokens) + n(x.cacheWriteInputTokens);
  const completion = n(x.outputTokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: n(x.cacheReadInputTokens) } };
}

export function chatJsonOf(answer: Json, model: string, jsonTool: boolean): Json {
  const message = isObject(answer.output) && isObject(answer.output.message) ? answer.output.message : {};
  let text = '';
  const toolCalls: Json[] = [];
  for (const block of Array.isArray(message.content) ? message.content : []) {
    if (!isObject(block)) continue;
    if (typeof block.text === 'string') text += block.text;
    if (isObject(block.toolUse)) {
      const t = block.toolUse;
      if (jsonTool && t.name === JSON_TOOL) text += JSON.stringify(t.input ?? {});
      else toolCalls.push({ id: t.toolUseId, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input ?? {}) } });
    }
  }
  return {
    id: `chatcmpl-${newId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason(answer.stopReason, jsonTool),
      },
    ],
    usage: usageOf(answer.usage),
  };
}

/** A Bedrock exception (HTTP error or stream exception event) with the status the router should see. */
export function exceptionStatus(type: string, status: number): number {
  const t = type.toLowerCase();
  if (t.startsWith('throttlingexception') || t.startsWith('toomanyrequests')) return 429;
  if (t.startsWith('serviceunavailable') || t.startsWith('modelnotready')) return 503;
  if (t.startsWith('internalserver') || t.startsWith('modelstreamerror')) return status >= 500 ? status : 500;
  return status;
}

export class BedrockStreamException extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The event's JSON payload, or throws for an exception event. */
export function eventOf(m: EventMessage): { type: string; body: Json } {
  const payload = m.payload.byteLength ? (JSON.parse(utf8.decode(m.payload)) as Json) : {};
  if (m.headers[':message-type'] === 'exception' || m.headers[':message-type'] === 'error') {
    const type = String(m.headers[':exception-type'] ?? m.headers[':error-code'] ?? 'exception');
    throw new BedrockStreamException(type, typeof payload.message === 'string' ? payload.message : type);
  }
  return { type: String(m.headers[':event-type'] ?? ''), body: payload };
}

/** ConverseStream events → OpenAI chunks, the usage chunk last when asked for. */
export async function* chatChunksOf(events: AsyncIterable<{ type: string; body: Json }>, model: string, withUsage: boolean, jsonTool: boolean): AsyncGenerator<object> {
  const id = `chatcmpl-${newId()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Json, finish: string | null = null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) });
  /** Content block index → the tool call's index among this answer's tool calls (or -1: the JSON tool). */
  const tools = new Map<number, number>();
  let stopped = false;
  let usage: Json | undefined;
  for await (const { type, body } of events) {
    switch (type) {
      case 'messageStart':
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'contentBlockStart': {
        const start = isObject(body.start) && isObject(body.start.toolUse) ? body.start.toolUse : undefined;
        if (start === undefined) break;
        const block = Number(body.contentBlockIndex);
        if (jsonTool && start.name === JSON_TOOL) {
          tools.set(block, -1);
          break;
        }
        const n = [...tools.values()].filter((v) => v >= 0).length;
        tools.set(block, n);
        yield chunk({ tool_calls: [{ index: n, id: start.toolUseId, type: 'function', function: { name: start.name, arguments: '' } }] });
        break;
      }
      case 'contentBlockDelta': {
        const delta = isObject(body.delta) ? body.delta : {};
        if (typeof delta.text === 'string') yield chunk({ content: delta.text });
        else if (isObject(delta.toolUse) && typeof delta.toolUse.input === 'string') {
          const n = tools.get(Number(body.contentBlockIndex));
          if (n === -1) yield chunk({ content: delta.toolUse.input });
          else if (n !== undefined) yield chunk({ tool_calls: [{ index: n, function: { arguments: delta.toolUse.input } }] });
        }
        break;
      }
      case 'messageStop':
        stopped = true;
        yield chunk({}, finishReason(body.stopReason, jsonTool));
        break;
      case 'metadata':
        usage = usageOf(body.usage);
        break;
    }
  }
  if (!stopped) throw new Error('the Bedrock stream ended before messageStop');
  if (withUsage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage ?? usageOf(undefined) };
}
