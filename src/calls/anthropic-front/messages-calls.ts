/**
 * Anthropic's API in front (POST /v1/messages, /v1/messages/count_tokens) for any configured chat model.
 * A Messages request becomes an OpenAI chat call and runs through the same pipeline as
 * /v1/chat/completions (access, exclusions, limits, routing, fallbacks, metering, usage); anthropic/
 * deployments get the original request (see to-openai.ts). The answer comes back in Anthropic's format.
 */
import { ENDPOINTS } from '../../config/endpoints';
import type { ModelEntry } from '../../config/router-config';
import type { Principal } from '../../domain/key-cache';
import { Refusal } from '../../domain/refusal';
import { anthropicCountTokens } from '../../upstream/providers/anthropic';
import { countWords, textOf } from '../../upstream/providers/demo/words';
import type { CallAnswer, ModelCalls } from '../model-calls';
import { anthropicError, anthropicMessage, anthropicStream } from './from-openai';
import { toOpenAIChat } from './to-openai';

type Json = Record<string, unknown>;
const utf8 = new TextDecoder();

export interface MessagesAnswer extends Omit<CallAnswer, 'body'> {
  body: ReadableStream<Uint8Array> | string;
}

/** A count_tokens answer: Anthropic's own (relayed), or the gateway's estimate. */
export interface CountAnswer {
  status: number;
  body: unknown;
}

export class MessagesCalls {
  constructor(private readonly calls: () => ModelCalls) {}

  async create(principal: Principal, body: Json, requestId: string, signal: AbortSignal): Promise<MessagesAnswer> {
    const model = String(body.model);
    const answer = await this.calls().live({ endpoint: ENDPOINTS.chat, body: toOpenAIChat(body), principal, requestId, signal, accessPath: '/v1/messages' });
    if (answer.stream) return { ...answer, body: anthropicStream(answer.body as ReadableStream<Uint8Array>, model) };
    const json = JSON.parse(utf8.decode(answer.body as ArrayBuffer)) as unknown;
    return { ...answer, passed: { ...answer.passed, 'content-type': 'application/json' }, body: JSON.stringify(anthropicMessage(json, model)) };
  }

  /**
   * Tokens a request would read. A model with an anthropic/ deployment: Anthropic's count, relayed. A
   * demo/ model: the demo's own rule (one token per word of the messages' text, at least 1), so the count
   * matches what the call is metered at. Any other model: an estimate of one token per 4 characters of the
   * system prompt, the messages' text and the tool definitions (rounded up, at least 1).
   */
  async countTokens(principal: Principal, body: Json, signal: AbortSignal): Promise<CountAnswer> {
    const model: ModelEntry = this.calls().modelFor(principal, ENDPOINTS.chat, String(body.model));
    const anthropic = model.deployments.find((d) => d.provider === 'anthropic');
    if (anthropic) {
      let res: Response;
      try {
        res = await anthropicCountTokens(anthropic, body, signal);
      } catch {
        throw new Refusal('upstream_unreachable', `Could not reach model ${model.name} to count tokens.`, { code: 'upstream_unreachable' });
      }
      const text = await res.text();
      if (res.ok) return { status: 200, body: JSON.parse(text) };
      if (res.status >= 500) return { status: 502, body: anthropicError(502, `The upstream for model ${model.name} failed (${res.status}).`) };
      let message = `Upstream answered ${res.status}`;
      try {
        const e = (JSON.parse(text) as { error?: { message?: unknown } }).error;
        if (typeof e?.message === 'string') message = e.message;
      } catch {
        // not JSON: keep the generic message
      }
      return { status: res.status, body: anthropicError(res.status, message) };
    }
    const chat = toOpenAIChat(body);
    const messages = chat.messages as Json[];
    if (model.deployments.every((d) => d.provider === 'demo')) {
      const words = messages.reduce((n, m) => n + countWords(textOf(m.content)), 0);
      return { status: 200, body: { input_tokens: Math.max(1, words) } };
    }
    const chars = messages.reduce((n, m) => n + textOf(m.content).length, 0) + (chat.tools === undefined ? 0 : JSON.stringify(chat.tools).length);
    return { status: 200, body: { input_tokens: Math.max(1, Math.ceil(chars / 4)) } };
  }
}
