/**
 * A chat completion as the Response object the Responses API returns: the assistant's text becomes a
 * `message` item with `output_text`, each tool call a `function_call` item, a reasoning text (as some
 * chat servers send in `reasoning_content`) a `reasoning` item; usage becomes input/output tokens (the
 * reasoning tokens are part of the output tokens, as in chat). The request's settings are echoed the way
 * OpenAI echoes them.
 */
type Json = Record<string, unknown>;
import { isObject } from '../../json';
import type { ItemIds } from '../../response-ids';

const ALPHABET = '0123456789abcdef';
/** A random id like OpenAI's: prefix + 48 hex characters (tool call ids an upstream left out). */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let out = prefix;
  for (const b of bytes) out += ALPHABET[b >> 4]! + ALPHABET[b & 15]!;
  return out;
}

/** The Response object before any output: what `response.created` carries, and the frame of the final one. */
export function responseFrame(request: Json, id: string, model: unknown, createdAt = Math.floor(Date.now() / 1000)): Json {
  const text = isObject(request.text) ? request.text : { format: { type: 'text' } };
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: isObject(request.reasoning) ? (request.reasoning.effort ?? null) : null, summary: null },
    service_tier: request.service_tier ?? 'default',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text,
    tool_choice: request.tool_choice ?? 'auto',
    tools: Array.isArray(request.tools) ? request.tools : [],
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: isObject(request.metadata) ? request.metadata : {},
  };
}

/** Chat usage → Responses usage (undefined when the upstream sent none). */
export function usageOf(usage: unknown): Json | null {
  if (!isObject(usage)) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const input = num(usage.prompt_tokens);
  const output = num(usage.completion_tokens);
  const cached = isObject(usage.prompt_tokens_details) ? num(usage.prompt_tokens_details.cached_tokens) : 0;
  const reasoning = isObject(usage.completion_tokens_details) ? num(usage.completion_tokens_details.reasoning_tokens) : 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : input + output,
  };
}

export const messageItem = (id: string, text: string, status = 'completed'): Json => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

export const functionCallItem = (id: string, callId: string, name: string, args: string, status = 'completed'): Json => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
});

export const reasoningItem = (id: string, text: string): Json => ({ id, type: 'reasoning', summary: [{ type: 'summary_text', text }] });

/** Finishing a response: its status and why it is incomplete. */
export function finished(frame: Json, finishReason: unknown, output: Json[], usage: unknown): Json {
  const incomplete = finishReason === 'length' || finishReason === 'content_filter';
  return {
    ...frame,
    status: incomplete ? 'incomplete' : 'completed',
    incomplete_details: incomplete ? { reason: finishReason === 'length' ? 'max_output_tokens' : 'content_filter' } : null,
    output,
    usage: usageOf(usage),
  };
}

/** A chat.completion JSON answer as a Response object; undefined when it is not a chat completion. */
export function chatToResponse(answer: unknown, request: Json, ids: ItemIds): Json | undefined {
  if (!isObject(answer) || !Array.isArray(answer.choices)) return undefined;
  const choice = answer.choices[0];
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const output: Json[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') output.push(reasoningItem(ids.next('rs_'), reasoning));
  if (typeof message.content === 'string' && message.content !== '') output.push(messageItem(ids.next('msg_'), message.content));
  if (typeof message.refusal === 'string' && message.refusal !== '') {
    output.push({ id: ids.next('msg_'), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: message.refusal }] });
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      if (!isObject(call) || !isObject(call.function)) continue;
      output.push(functionCallItem(ids.next('fc_'), String(call.id ?? randomId('call_')), String(call.function.name ?? ''), String(call.function.arguments ?? '')));
    }
  }
  const created = typeof answer.created === 'number' ? answer.created : undefined;
  return finished(responseFrame(request, ids.responseId, answer.model ?? request.model, created), isObject(choice) ? choice.finish_reason : undefined, output, answer.usage);
}
