/**
 * Amazon Bedrock (`bedrock/<model id>`): chat through Converse (`POST /model/{id}/converse`) and
 * ConverseStream (`/converse-stream`, AWS event-stream framing decoded by event-stream.ts), embeddings
 * through InvokeModel (`/model/{id}/invoke`, Titan and Cohere). Every request is SigV4-signed by
 * aws4fetch (service `bedrock`, the deployment's region) with its own AWS credentials only. Bedrock's
 * errors become the OpenAI shape with their status kept; ThrottlingException is a 429 (also when it is
 * the first event of a stream, which is read before the answer starts) so the router retries or falls back.
 */
import { AwsClient } from 'aws4fetch';
import type { BedrockSettings } from '../../../config/cloud-params';
import type { Deployment } from '../../../config/router-config';
import type { Provider, ProviderCall } from '../../provider';
import { errorBody, openAIErrorResponse, unsupported } from '../common/openai-error';
import { sseResponse } from '../common/sse';
import { embedBodies, embeddingsJsonOf, embedFamily, type EmbedFamily } from './embeddings';
import { eventStreamMessages } from './event-stream';
import { converseBody } from './request';
import { BedrockStreamException, chatChunksOf, chatJsonOf, eventOf, exceptionStatus } from './response';

type Json = Record<string, unknown>;

type Prepared =
  | { kind: 'chat'; deployment: Deployment; url: string; body: string; stream: boolean; withUsage: boolean; jsonTool: boolean }
  | { kind: 'embeddings'; deployment: Deployment; url: string; bodies: string[]; family: EmbedFamily; request: Json }
  | { kind: 'unsupported'; deployment: Deployment; what: string };

const clients = new WeakMap<Deployment, AwsClient>();

function clientFor(d: Deployment): AwsClient {
  let c = clients.get(d);
  if (c === undefined) {
    const s = d.cloud as BedrockSettings;
    c = new AwsClient({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, service: 'bedrock', region: s.region, retries: 0 });
    clients.set(d, c);
  }
  return c;
}

const modelUrl = (d: Deployment, op: string) => `${d.apiBase}/model/${encodeURIComponent(d.upstreamModel)}/${op}`;

function prepare({ endpoint, deployment, body }: ProviderCall): Prepared {
  if (endpoint.name === 'chat') {
    const stream = body.stream === true;
    const { body: converse, jsonTool } = converseBody(body);
    const withUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return { kind: 'chat', deployment, url: modelUrl(deployment, stream ? 'converse-stream' : 'converse'), body: JSON.stringify(converse), stream, withUsage, jsonTool };
  }
  if (endpoint.name === 'embeddings') {
    const family = embedFamily(deployment.upstreamModel);
    if (family === undefined) return { kind: 'unsupported', deployment, what: `embeddings for ${deployment.upstreamModel} (only amazon.titan-embed-* and cohere.embed-*)` };
    return { kind: 'embeddings', deployment, url: modelUrl(deployment, 'invoke'), bodies: embedBodies(family, body).map((b) => JSON.stringify(b)), family, request: body };
  }
  return { kind: 'unsupported', deployment, what: endpoint.path };
}

async function post(d: Deployment, url: string, body: string, accept: string, signal: AbortSignal): Promise<Response> {
  const signed = await clientFor(d).sign(url, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...d.extraHeaders }, body });
  return fetch(signed, { signal });
}

/** Bedrock's `{message}` with `x-amzn-errortype: Type:…` → the OpenAI shape (ThrottlingException → 429). */
async function bedrockError(res: Response): Promise<Response> {
  const { text, json } = await errorBody(res);
  const type = (res.headers.get('x-amzn-errortype') ?? (typeof json?.__type === 'string' ? json.__type : '')).split(':')[0]!.split('#').at(-1)!;
  const message = typeof json?.message === 'string' ? json.message : typeof json?.Message === 'string' ? json.Message : text.trim().slice(0, 500) || `Bedrock answered ${res.status}`;
  return openAIErrorResponse(exceptionStatus(type, res.status), { message, code: type || null }, res.headers);
}

async function send(p: Prepared, signal: AbortSignal): Promise<Response> {
  if (p.kind === 'unsupported') return unsupported('bedrock', p.what);
  const model = p.deployment.upstreamModel;
  if (p.kind === 'embeddings') {
    const answers: Json[] = [];
    const responses = await Promise.all(p.bodies.map((b) => post(p.deployment, p.url, b, 'application/json', signal)));
    for (const res of responses) {
      if (!res.ok) {
        for (const other of responses) if (other !== res) other.body?.cancel().catch(() => {});
        return bedrockError(res);
      }
      answers.push((await res.json()) as Json);
    }
    return Response.json(embeddingsJsonOf(p.family, answers, p.request, model));
  }
  const res = await post(p.deployment, p.url, p.body, p.stream ? 'application/vnd.amazon.eventstream' : 'application/json', signal);
  if (!res.ok) return bedrockError(res);
  if (!p.stream) return Response.json(chatJsonOf((await res.json()) as Json, model, p.jsonTool));
  // Read the first event before answering: an exception there (throttling) is a failure the router can retry.
  const messages = eventStreamMessages(res.body!);
  let first: { type: string; body: Json } | undefined;
  try {
    const next = await messages.next();
    if (!next.done) first = eventOf(next.value);
  } catch (err) {
    await messages.return(undefined).catch(() => {});
    if (err instanceof BedrockStreamException) return openAIErrorResponse(exceptionStatus(err.type, 500), { message: err.message, code: err.type });
    throw err;
  }
  async function* events() {
    if (first) yield first;
    for await (const m of messages) yield eventOf(m);
  }
  return sseResponse(chatChunksOf(events(), model, p.withUsage, p.jsonTool));
}

export const bedrockProvider: Provider<Prepared> = { prepare, send };
