/**
 * Some OpenAI-compatible servers ignore `stream: true` and answer with one JSON completion. The client
 * asked for a stream, so it gets one: a chunk with each choice's whole content (or tool calls), a chunk
 * with its finish reason, the usage chunk, and `[DONE]` — the SSE text that relaySse then relays like any
 * upstream stream (it drops the usage chunk when the client did not ask for it, and meters it).
 */
type Json = Record<string, unknown>;
import { isObject } from '../json';

const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/** The SSE text for a chat or completions JSON answer, or undefined when the text is not such an answer. */
export function completionAsSse(text: string, endpoint: 'chat' | 'completions'): string | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(answer) || !Array.isArray(answer.choices) || !answer.choices.every(isObject)) return undefined;
  const base = {
    id: answer.id,
    object: endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: answer.created,
    model: answer.model,
    ...(answer.system_fingerprint !== undefined ? { system_fingerprint: answer.system_fingerprint } : {}),
  };
  let out = '';
  for (const [i, choice] of (answer.choices as Json[]).entries()) {
    const index = typeof choice.index === 'number' ? choice.index : i;
    if (endpoint === 'chat') {
      const message = isObject(choice.message) ? choice.message : {};
      const delta: Json = { role: message.role ?? 'assistant', content: message.content ?? null };
      if (message.refusal !== undefined) delta.refusal = message.refusal;
      if (Array.isArray(message.tool_calls)) delta.tool_calls = message.tool_calls.map((call, n) => (isObject(call) ? { index: n, ...call } : call));
      out += event({ ...base, choices: [{ index, delta, logprobs: choice.logprobs ?? null, finish_reason: null }] });
      out += event({ ...base, choices: [{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }] });
    } else {
      out += event({ ...base, choices: [{ index, text: choice.text ?? '', logprobs: choice.logprobs ?? null, finish_reason: null }] });
      out += event({ ...base, choices: [{ index, text: '', logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }] });
    }
  }
  if (isObject(answer.usage)) out += event({ ...base, choices: [], usage: answer.usage });
  return `${out}data: [DONE]\n\n`;
}

/**
 * A Response object (the Responses API) answered to a stream request, as the shortest event stream the SDKs
 * accept: `response.created`, each output item added and done, `response.completed` with the usage.
 */
export function responseAsSse(text: string): string | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(answer) || answer.object !== 'response' || !Array.isArray(answer.output)) return undefined;
  let seq = 0;
  const ev = (type: string, fields: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  let out = ev('response.created', { response: { ...answer, status: 'in_progress', output: [], usage: null } });
  answer.output.forEach((item, i) => {
    out += ev('response.output_item.added', { output_index: i, item });
    out += ev('response.output_item.done', { output_index: i, item });
  });
  const status = answer.status === 'incomplete' ? 'incomplete' : answer.status === 'failed' ? 'failed' : 'completed';
  return out + ev(`response.${status}`, { response: answer });
}
