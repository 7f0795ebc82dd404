/**
 * Chat and legacy completions in the OpenAI wire format, from an Answer: one JSON object, or a real SSE
 * stream that sends the text word by word (a tool call as its name, then its arguments), the finish
 * reason, the usage chunk when `stream_options.include_usage` asks for it, and `[DONE]`.
 */
import type { Answer } from './answers';
import { streamPieces } from './words';

type Json = Record<string, unknown>;

export interface Meta {
  id: string;
  created: number;
  model: string;
}

function usageOf(a: Answer) {
  return {
    prompt_tokens: a.inputTokens,
    completion_tokens: a.outputTokens,
    total_tokens: a.inputTokens + a.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function chatJson(a: Answer, m: Meta): Json {
  const toolCalls = a.toolCall && [{ id: a.toolCall.id, type: 'function', function: { name: a.toolCall.name, arguments: a.toolCall.arguments } }];
  return {
    id: m.id,
    object: 'chat.completion',
    created: m.created,
    model: m.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: a.text, refusal: null, annotations: [], ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: a.finishReason,
      },
    ],
    usage: usageOf(a),
    service_tier: 'default',
    system_fingerprint: 'fp_demo',
  };
}

export function completionJson(a: Answer, m: Meta): Json {
  return {
    id: m.id,
    object: 'text_completion',
    created: m.created,
    model: m.model,
    choices: [{ text: a.text ?? '', index: 0, logprobs: null, finish_reason: a.finishReason }],
    usage: { prompt_tokens: a.inputTokens, completion_tokens: a.outputTokens, total_tokens: a.inputTokens + a.outputTokens },
    system_fingerprint: 'fp_demo',
  };
}

/** The chunks of a chat stream, in order (without `[DONE]`). */
export function chatChunks(a: Answer, m: Meta, withUsage: boolean): Json[] {
  const base = { id: m.id, object: 'chat.completion.chunk', created: m.created, model: m.model, service_tier: 'default', system_fingerprint: 'fp_demo' };
  // With include_usage OpenAI puts `usage: null` on every chunk but the last.
  const chunk = (delta: Json, finish: string | null = null): Json => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) });
  const out: Json[] = [chunk({ role: 'assistant', content: a.toolCall ? null : '', refusal: null })];
  if (a.toolCall) {
    const t = a.toolCall;
    out.push(chunk({ tool_calls: [{ index: 0, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }));
    for (const piece of streamPieces(t.arguments)) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  } else for (const piece of streamPieces(a.text ?? '')) out.push(chunk({ content: piece }));
  out.push(chunk({}, a.finishReason));
  if (withUsage) out.push({ ...base, choices: [], usage: usageOf(a) });
  return out;
}

export function completionChunks(a: Answer, m: Meta, withUsage: boolean): Json[] {
  const base = { id: m.id, object: 'text_completion', created: m.created, model: m.model, system_fingerprint: 'fp_demo' };
  const chunk = (text: string, finish: string | null): Json => ({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) });
  const out = streamPieces(a.text ?? '').map((piece) => chunk(piece, null));
  out.push(chunk('', a.finishReason));
  if (withUsage) out.push({ ...base, choices: [], usage: { prompt_tokens: a.inputTokens, completion_tokens: a.outputTokens, total_tokens: a.inputTokens + a.outputTokens } });
  return out;
}
