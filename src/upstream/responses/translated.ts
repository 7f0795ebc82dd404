/**
 * /v1/responses for a deployment with `responses_api: translated`: a provider that wraps the deployment's
 * own provider, sends the call to its chat completions endpoint and answers in the Responses wire format
 * (a Response object, or the Responses event stream). Routing, retries, metering and the stream relay
 * never know the difference. A request the translation cannot express fails in `prepare`, so it is the
 * caller's 400 and never counts against the deployment.
 */
import { ENDPOINTS } from '../../config/endpoints';
import type { Provider, ProviderCall } from '../provider';
import { completionAsSse } from '../json-as-sse';
import { chatToResponse } from './from-chat';
import { ItemIds } from '../../response-ids';
import { chatStreamToResponses } from './stream';
import { NotTranslatable, responsesToChat } from './to-chat';

type Json = Record<string, unknown>;

/** Items from earlier responses of a `previous_response_id` chain, set by the caller on the body it sends. */
const histories = new WeakMap<Json, Json[]>();

/** Puts the conversation so far in front of this call's input (when a translated deployment answers). */
export function attachHistory(body: Json, items: Json[]): void {
  histories.set(body, items);
}

/** The ids of the response this body will make, set by the caller (which numbered the input items with them). */
const itemIds = new WeakMap<Json, ItemIds>();

/** Gives the response this body makes (when a translated deployment answers) these ids. */
export function attachItemIds(body: Json, ids: ItemIds): void {
  itemIds.set(body, ids);
}

/** The Response objects this translation made, by the HTTP answer that carries them (never changed after). */
const madeObjects = new WeakMap<Response, Json>();

/** The Response object behind a translated JSON answer, so that keeping it needs no second parse. */
export function translatedObject(answer: Response): Json | undefined {
  return madeObjects.get(answer);
}

/** The `input` of a Responses body as a list of items (a string is one user message). */
export function inputItems(input: unknown): Json[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return Array.isArray(input) ? (input.filter((i) => typeof i === 'object' && i !== null) as Json[]) : [];
}

interface Prepared {
  inner: unknown;
  request: Json;
  stream: boolean;
  ids: ItemIds;
}

const cache = new WeakMap<Provider, Provider<Prepared>>();

export function translatedResponses(inner: Provider): Provider<Prepared> {
  let p = cache.get(inner);
  if (p) return p;
  p = {
    // The inner provider's own verdict on which statuses to retry (e.g. Anthropic's 529) still holds.
    ...(inner.retryable ? { retryable: inner.retryable.bind(inner) } : {}),
    prepare(call: ProviderCall): Prepared {
      const history = histories.get(call.body);
      const request = history === undefined ? call.body : withHistory(call.body, history);
      let chat: Json;
      try {
        chat = responsesToChat(request);
      } catch (err) {
        if (err instanceof NotTranslatable) throw new Error(err.message);
        throw err;
      }
      return { inner: inner.prepare({ endpoint: ENDPOINTS.chat, deployment: call.deployment, body: chat }), request: call.body, stream: call.body.stream === true, ids: itemIds.get(call.body) ?? new ItemIds() };
    },
    async send(prepared, signal) {
      const response = await inner.send(prepared.inner, signal);
      if (!response.ok) return response; // an OpenAI error body: relayed like any upstream failure
      const type = response.headers.get('content-type') ?? '';
      const json = type.includes('json');
      if (prepared.stream) {
        let body = response.body!;
        if (json) {
          // A server that ignored `stream: true`: its completion becomes the stream, then the events.
          const sse = completionAsSse(await response.text(), 'chat');
          if (sse === undefined) return badAnswer();
          body = new Response(sse).body!;
        }
        return new Response(chatStreamToResponses(body, prepared.request, prepared.ids), { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
      }
      const answer = chatToResponse(await response.json().catch(() => undefined), prepared.request, prepared.ids);
      if (answer === undefined) return badAnswer();
      const made = Response.json(answer);
      madeObjects.set(made, answer);
      return made;
    },
  };
  cache.set(inner, p);
  return p;
}

/** The body with a kept conversation in front of its input, and no previous_response_id (the upstream never saw it). */
function withHistory(body: Json, history: Json[]): Json {
  const { previous_response_id: _, ...rest } = body;
  return { ...rest, input: [...history, ...inputItems(body.input)] };
}

const nativeCache = new WeakMap<Provider, Provider>();

/**
 * /v1/responses for a `responses_api: native` deployment: the upstream's own Responses API, as it is —
 * except for a `previous_response_id` that the gateway made (on a translated deployment, e.g. before a
 * fallback or a config change): the upstream does not know it, so the kept conversation goes as input,
 * without the gateway's item ids (the upstream would look them up) and without reasoning items (an
 * upstream only takes back its own, with their encrypted content).
 */
export function nativeResponses(inner: Provider): Provider {
  let p = nativeCache.get(inner);
  if (p) return p;
  p = {
    ...(inner.retryable ? { retryable: inner.retryable.bind(inner) } : {}),
    prepare(call: ProviderCall): unknown {
      const history = histories.get(call.body);
      if (history === undefined) return inner.prepare(call);
      const portable = history.filter((item) => item.type !== 'reasoning').map(({ id: _, ...item }) => item);
      return inner.prepare({ ...call, body: withHistory(call.body, portable) });
    },
    send: (prepared, signal) => inner.send(prepared, signal),
  };
  nativeCache.set(inner, p);
  return p;
}

/** The upstream answered 200 with something that is not a chat completion: a 502 for the caller. */
function badAnswer(): Response {
  return Response.json({ error: { message: 'The upstream answered with something that is not a chat completion.', type: 'upstream_error', param: null, code: 'upstream_error' } }, { status: 502 });
}
