/**
 * `anthropic/<model>` deployments: Anthropic's Messages API (POST {api_base}/v1/messages, `x-api-key`,
 * `anthropic-version`). Chat completions are translated (request.ts, answer.ts, stream.ts); a call that
 * arrived in Anthropic's own format (/v1/messages) is sent as it came, with the deployment's model.
 * Other endpoints (embeddings, images, speech, legacy completions) are refused with a 400.
 * 529 (overloaded), 429 and 5xx are worth another attempt, on another deployment or a fallback.
 */
import type { Deployment } from '../../../config/router-config';
import { NATIVE_REQUEST, type NativeRequest, type ProviderCall } from '../../provider';
import { translatingProvider, type WireAdapter } from '../../translating';
import { chatCompletion, openAIError } from './answer';
import { RequestError, toAnthropic } from './request';
import { anthropicStreamMapper } from './stream';

export const ANTHROPIC_VERSION = '2023-06-01';

interface Context {
  model: string;
  stream: boolean;
  jsonTool: boolean;
}

/** The request headers of a deployment: its own key only, never the caller's gateway key. */
export function anthropicHeaders(deployment: Deployment): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
  if (deployment.apiKey !== undefined) headers['x-api-key'] = deployment.apiKey;
  // extra_headers may set anthropic-version or anthropic-beta (litellm_params).
  for (const [k, v] of Object.entries(deployment.extraHeaders)) headers[k.toLowerCase()] = v;
  return headers;
}

/** `{api_base}/v1/<path>`; an api_base that already ends in /v1 is taken as is. */
export function anthropicUrl(deployment: Deployment, path: string): string {
  const base = deployment.apiBase.replace(/\/+$/, '');
  return `${base.endsWith('/v1') ? base : `${base}/v1`}${path}`;
}

const adapter: WireAdapter<Context> = {
  request({ endpoint, deployment, body }: ProviderCall) {
    if (endpoint.name !== 'chat') throw new RequestError(`Anthropic deployments serve chat completions only, not /v1${endpoint.path}.`);
    const native = (body as { [NATIVE_REQUEST]?: NativeRequest })[NATIVE_REQUEST];
    const stream = body.stream === true;
    let json: Record<string, unknown>;
    let jsonTool = false;
    if (native?.format === 'anthropic') json = { ...native.body, model: deployment.upstreamModel };
    else {
      const mapped = toAnthropic(body, deployment.upstreamModel);
      json = mapped.body;
      jsonTool = mapped.jsonTool;
    }
    const headers = anthropicHeaders(deployment);
    headers.accept = stream ? 'text/event-stream' : 'application/json';
    return { wire: { url: anthropicUrl(deployment, '/messages'), headers, body: JSON.stringify(json) }, context: { model: deployment.upstreamModel, stream, jsonTool } };
  },
  answer: (json, c) => chatCompletion(json, c.jsonTool),
  stream: (c) => anthropicStreamMapper(c.model, c.jsonTool),
  streams: (c) => c.stream,
  error: openAIError,
  retryable: (status) => status === 429 || status === 529 || status >= 500,
};

export const anthropicProvider = translatingProvider(adapter);

/** POST /v1/messages/count_tokens on a deployment, for the Anthropic front (the body in Anthropic's format). */
export function anthropicCountTokens(deployment: Deployment, body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
  const { stream: _stream, max_tokens: _max, temperature: _t, top_p: _p, top_k: _k, stop_sequences: _s, metadata: _m, ...rest } = body;
  return fetch(anthropicUrl(deployment, '/messages/count_tokens'), {
    method: 'POST',
    headers: anthropicHeaders(deployment),
    body: JSON.stringify({ ...rest, model: deployment.upstreamModel }),
    signal,
  });
}
