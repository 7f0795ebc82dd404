/** Anthropic answers → OpenAI: a Message → a chat.completion; usage, stop reasons and errors. */
import { JSON_TOOL } from './request';
import { isObject } from '../../../json';

type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** stop_reason → finish_reason. */
export function finishReason(stop: unknown, jsonTool = false): string {
  switch (stop) {
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return jsonTool ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

/**
 * Anthropic usage → OpenAI usage. `prompt_tokens` counts every input token the model read: the uncached
 * input plus the tokens written to and read from the prompt cache (so input-token limits count them
 * all); `prompt_tokens_details.cached_tokens` is the part read from the cache.
 */
export function openAIUsage(u: unknown): Json {
  const usage = isObject(u) ? u : {};
  const created = num(usage.cache_creation_input_tokens);
  const read = num(usage.cache_read_input_tokens);
  const prompt = num(usage.input_tokens) + created + read;
  const completion = num(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: read, cache_creation_tokens: created },
  };
}

/** A Message's content blocks → an OpenAI assistant message. */
export function assistantMessage(content: unknown, jsonTool: boolean): Json {
  const texts: string[] = [];
  const reasoning: string[] = [];
  const thinkingBlocks: Json[] = [];
  const toolCalls: Json[] = [];
  for (const b of Array.isArray(content) ? content : []) {
    if (!isObject(b)) continue;
    if (b.type === 'text') texts.push(String(b.text ?? ''));
    else if (b.type === 'thinking') {
      reasoning.push(String(b.thinking ?? ''));
      thinkingBlocks.push(b);
    } else if (b.type === 'redacted_thinking') thinkingBlocks.push(b);
    else if (b.type === 'tool_use') {
      if (jsonTool && b.name === JSON_TOOL) texts.push(JSON.stringify(b.input ?? {}));
      else toolCalls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    }
  }
  const message: Json = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null, refusal: null };
  if (reasoning.length > 0) message.reasoning_content = reasoning.join('');
  if (thinkingBlocks.length > 0) message.thinking_blocks = thinkingBlocks;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

export function chatCompletion(message: unknown, jsonTool: boolean): Json {
  const m = isObject(message) ? message : {};
  const onlyJson = jsonTool && Array.isArray(m.content) && m.content.some((b) => isObject(b) && b.type === 'tool_use' && b.name === JSON_TOOL);
  return {
    id: typeof m.id === 'string' ? m.id : `msg_${crypto.randomUUID().replaceAll('-', '')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: m.model,
    choices: [{ index: 0, message: assistantMessage(m.content, jsonTool), logprobs: null, finish_reason: finishReason(m.stop_reason, onlyJson) }],
    usage: openAIUsage(m.usage),
  };
}

/** Anthropic error type → the OpenAI error type the SDKs know. */
const TYPES: Record<string, string> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  rate_limit_error: 'rate_limit_error',
  api_error: 'server_error',
  overloaded_error: 'server_error',
};

/** An Anthropic error body ({type:'error', error:{type, message}}) → the OpenAI error shape. */
export function openAIError(status: number, text: string) {
  let type: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(text) as Json;
    const e = isObject(parsed.error) ? parsed.error : parsed;
    if (typeof e.type === 'string') type = e.type;
    if (typeof e.message === 'string') message = e.message;
  } catch {
    message = text.trim().slice(0, 500) || undefined;
  }
  return {
    error: {
      message: message ?? `Anthropic answered ${status}`,
      type: (type && TYPES[type]) ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: type ?? null,
    },
  };
}
