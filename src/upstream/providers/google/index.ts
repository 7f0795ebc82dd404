/**
 * Google models: `gemini/<model>` (the Gemini API, `x-goog-api-key`) and `vertex_ai/<model>` (Vertex AI,
 * a service account's OAuth token). Chat goes to `:generateContent` or `:streamGenerateContent?alt=sse`
 * (mapped by request.ts / response.ts); embeddings to `:batchEmbedContents` (Gemini) or `:predict`
 * (Vertex). Other endpoints are refused with a 400 before anything is sent. Google's errors become the
 * OpenAI error shape with their status kept (429 and 5xx are retried by the router).
 */
import type { GoogleSettings } from '../../../config/cloud-params';
import type { Deployment } from '../../../config/router-config';
import type { Provider, ProviderCall } from '../../provider';
import { errorBody, openAIErrorResponse, unsupported } from '../common/openai-error';
import { sseData, sseResponse } from '../common/sse';
import { TokenRefused } from '../common/token-cache';
import { embeddingsJsonOf, geminiEmbedBody, vertexEmbedBody } from './embeddings';
import { geminiChatBody } from './request';
import { chatChunksOf, chatJsonOf } from './response';
import { serviceAccountToken } from './service-account';

type Json = Record<string, unknown>;

interface Prepared {
  deployment: Deployment;
  kind: 'chat' | 'embeddings' | 'unsupported';
  endpoint: string;
  url: string;
  body: string;
  request: Json;
  stream: boolean;
  withUsage: boolean;
}

/** The URL of a model method: Gemini `{base}/models/{m}:method`, Vertex `{base}/projects/…/publishers/google/models/{m}:method`. */
export function googleUrl(d: Deployment, method: string): string {
  const s = d.cloud as GoogleSettings;
  const model = encodeURIComponent(d.upstreamModel);
  if (s.kind === 'gemini') return `${d.apiBase}/models/${model}:${method}`;
  return `${d.apiBase}/projects/${encodeURIComponent(s.project!)}/locations/${encodeURIComponent(s.location!)}/publishers/google/models/${model}:${method}`;
}

function prepare({ endpoint, deployment, body }: ProviderCall): Prepared {
  const s = deployment.cloud as GoogleSettings;
  const base = { deployment, endpoint: endpoint.path, request: body, stream: false, withUsage: false };
  if (endpoint.name === 'chat') {
    const stream = body.stream === true;
    const url = googleUrl(deployment, stream ? 'streamGenerateContent?alt=sse' : 'generateContent');
    const withUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return { ...base, kind: 'chat', url, body: JSON.stringify(geminiChatBody(body)), stream, withUsage };
  }
  if (endpoint.name === 'embeddings') {
    const gemini = s.kind === 'gemini';
    const url = googleUrl(deployment, gemini ? 'batchEmbedContents' : 'predict');
    return { ...base, kind: 'embeddings', url, body: JSON.stringify(gemini ? geminiEmbedBody(deployment.upstreamModel, body) : vertexEmbedBody(body)) };
  }
  return { ...base, kind: 'unsupported', url: '', body: '' };
}

async function headersFor(d: Deployment, signal: AbortSignal): Promise<Record<string, string>> {
  const s = d.cloud as GoogleSettings;
  // Only the deployment's own credentials go upstream; the caller's gateway key never does.
  const headers: Record<string, string> = { 'content-type': 'application/json', ...d.extraHeaders };
  if (s.kind === 'gemini') headers['x-goog-api-key'] = d.apiKey!;
  else headers.authorization = `Bearer ${await serviceAccountToken(s.serviceAccount!, signal)}`;
  return headers;
}

/** Google's `{error: {code, message, status}}` → the OpenAI shape, status kept. */
async function googleError(res: Response): Promise<Response> {
  const { text, json } = await errorBody(res);
  const e = json && typeof json.error === 'object' && json.error !== null ? (json.error as Json) : undefined;
  const message = typeof e?.message === 'string' ? e.message : text.trim().slice(0, 500) || `Google answered ${res.status}`;
  return openAIErrorResponse(res.status, { message, code: typeof e?.status === 'string' ? e.status.toLowerCase() : null }, res.headers);
}

async function send(p: Prepared, signal: AbortSignal): Promise<Response> {
  if (p.kind === 'unsupported') return unsupported(p.deployment.provider, p.endpoint);
  let headers: Record<string, string>;
  try {
    headers = await headersFor(p.deployment, signal);
  } catch (err) {
    if (err instanceof TokenRefused) return openAIErrorResponse(err.status, { message: err.message, type: 'authentication_error', code: 'upstream_auth_failed' });
    throw err;
  }
  const res = await fetch(p.url, { method: 'POST', headers, body: p.body, signal });
  if (!res.ok) return googleError(res);
  const model = p.deployment.upstreamModel;
  if (p.kind === 'embeddings') return Response.json(embeddingsJsonOf((await res.json()) as Json, p.request, model));
  if (!p.stream) return Response.json(chatJsonOf((await res.json()) as Json, model));
  return sseResponse(chatChunksOf(sseData(res.body!), model, p.withUsage));
}

export const googleProvider: Provider<Prepared> = { prepare, send };
