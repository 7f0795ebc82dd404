/**
 * Gemini answers → OpenAI chat completions: candidates → choices (text parts joined, thought parts left
 * out, `functionCall` parts → tool_calls), finishReason → finish_reason (SAFETY, BLOCKLIST,
 * PROHIBITED_CONTENT, SPII, RECITATION, IMAGE_SAFETY → content_filter; a prompt blocked by
 * `promptFeedback.blockReason` → one choice with no content and content_filter), usageMetadata → usage;
 * and a `streamGenerateContent?alt=sse` stream → chat.completion.chunk objects.
 */
type Json = Record<string, unknown>;
import { isObject } from '../../../json';
const newId = () => crypto.randomUUID().replaceAll('-', '').slice(0, 24);

const FILTERED = new Set(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'RECITATION', 'IMAGE_SAFETY', 'LANGUAGE']);

export function finishReason(reason: unknown, hasToolCalls: boolean): string | null {
  if (reason === undefined || reason === null || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (FILTERED.has(String(reason))) return 'content_filter';
  if (reason === 'MAX_TOKENS') return 'length';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

export function usageOf(meta: unknown): Json | undefined {
  if (!isObject(meta)) return undefined;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const prompt = n(meta.promptTokenCount) + n(meta.toolUsePromptTokenCount);
  const thoughts = n(meta.thoughtsTokenCount);
  const completion = n(meta.candidatesTokenCount) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: n(meta.totalTokenCount) || prompt + completion,
    prompt_tokens_details: { cached_tokens: n(meta.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

interface Parts {
  text: string;
  calls: { id: string; name: string; arguments: string }[];
}

function partsOf(candidate: Json): Parts {
  const content = isObject(candidate.content) ? candidate.content : {};
  const out: Parts = { text: '', calls: [] };
  for (const p of Array.isArray(content.parts) ? content.parts : []) {
    if (!isObject(p) || p.thought === true) continue;
    if (typeof p.text === 'string') out.text += p.text;
    if (isObject(p.functionCall)) {
      const fc = p.functionCall;
      out.calls.push({ id: typeof fc.id === 'string' && fc.id ? fc.id : `call_${newId()}`, name: String(fc.name), arguments: JSON.stringify(fc.args ?? {}) });
    }
  }
  return out;
}

/** The content-filter details a caller may want: why the prompt was blocked, each candidate's safety ratings. */
function blockedPrompt(answer: Json): string | undefined {
  const feedback = isObject(answer.promptFeedback) ? answer.promptFeedback : undefined;
  return typeof feedback?.blockReason === 'string' ? feedback.blockReason : undefined;
}

export function chatJsonOf(answer: Json, model: string): Json {
  const candidates = Array.isArray(answer.candidates) ? answer.candidates.filter(isObject) : [];
  const choices = candidates.map((c, i) => {
    const parts = partsOf(c);
    const toolCalls = parts.calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
    return {
      index: typeof c.index === 'number' ? c.index : i,
      message: { role: 'assistant', content: parts.text === '' && toolCalls.length > 0 ? null : parts.text, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
      logprobs: null,
      finish_reason: finishReason(c.finishReason, toolCalls.length > 0) ?? 'stop',
      ...(c.safetyRatings !== undefined ? { safety_ratings: c.safetyRatings } : {}),
    };
  });
  const blocked = blockedPrompt(answer);
  if (choices.length === 0) {
    // A blocked prompt has no candidates: one empty choice, so clients reading choices[0] see why.
    choices.push({ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: blocked !== undefined ? 'content_filter' : 'stop' });
  }
  return {
    id: `chatcmpl-${typeof answer.responseId === 'string' ? answer.responseId : newId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof answer.modelVersion === 'string' ? answer.modelVersion : model,
    choices,
    usage: usageOf(answer.usageMetadata) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    ...(answer.promptFeedback !== undefined ? { prompt_feedback: answer.promptFeedback } : {}),
  };
}

/** Gemini stream events (parsed JSON) → OpenAI chunks, with the usage chunk last when asked for. */
export async function* chatChunksOf(events: AsyncIterable<string>, model: string, withUsage: boolean): AsyncGenerator<object> {
  const id = `chatcmpl-${newId()}`;
  const created = Math.floor(Date.now() / 1000);
  let usage: Json | undefined;
  const started = new Set<number>();
  const toolIndex = new Map<number, number>();
  const finished = new Set<number>();
  const chunk = (index: number, delta: Json, finish: string | null = null, extra: Json = {}) => ({
    id, object: 'chat.completion.chunk', created, model,
    choices: [{ index, delta, logprobs: null, finish_reason: finish, ...extra }],
    ...(withUsage ? { usage: null } : {}),
  });
  for await (const data of events) {
    let answer: Json;
    try {
      answer = JSON.parse(data) as Json;
    } catch {
      continue;
    }
    if (isObject(answer.error)) throw new Error(`Gemini sent an error in the stream: ${String(answer.error.message ?? '')}`);
    if (typeof answer.modelVersion === 'string') model = answer.modelVersion;
    usage = usageOf(answer.usageMetadata) ?? usage;
    const candidates = Array.isArray(answer.candidates) ? answer.candidates.filter(isObject) : [];
    if (candidates.length === 0 && blockedPrompt(answer) !== undefined) {
      yield chunk(0, { role: 'assistant', content: null }, 'content_filter', { prompt_feedback: answer.promptFeedback });
      finished.add(0);
      continue;
    }
    for (const c of candidates) {
      const index = typeof c.index === 'number' ? c.index : 0;
      const parts = partsOf(c);
      if (!started.has(index)) {
        started.add(index);
        yield chunk(index, { role: 'assistant', content: '' });
      }
      if (parts.text !== '') yield chunk(index, { content: parts.text });
      for (const call of parts.calls) {
        const n = toolIndex.get(index) ?? 0;
        toolIndex.set(index, n + 1);
        yield chunk(index, { tool_calls: [{ index: n, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] });
      }
      const finish = finishReason(c.finishReason, (toolIndex.get(index) ?? 0) > 0);
      if (finish !== null && !finished.has(index)) {
        finished.add(index);
        yield chunk(index, {}, finish, c.safetyRatings !== undefined ? { safety_ratings: c.safetyRatings } : {});
      }
    }
  }
  if (finished.size === 0) throw new Error('the Gemini stream ended before a finish reason');
  if (withUsage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } };
}
