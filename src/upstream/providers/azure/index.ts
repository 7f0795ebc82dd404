/**
 * Azure OpenAI (`azure/<deployment>`): the OpenAI wire format under Azure's URLs and auth.
 *
 * URLs: with `api_version: v1` (or `latest` / `preview`), or with no api_version and an api_base ending
 * in /openai/v1, the v1 API `{api_base}/openai/v1/<op>` (the deployment name goes in the body's `model`);
 * otherwise `{api_base}/openai/deployments/{deployment}/<op>?api-version={api_version}` (2024-10-21 when
 * unset). Auth: `api-key` header, or `Authorization: Bearer` with `azure_ad_token` or an Entra ID token
 * from client credentials. Answers pass through unchanged (content-filter results included), except
 * that streamed chunks with an empty `choices` and no usage — Azure's first chunk carries only
 * `prompt_filter_results` — are dropped, their `prompt_filter_results` moved onto the next chunk, so a
 * client reading `choices[0]` of every chunk does not crash.
 */
import type { AzureSettings } from '../../../config/cloud-params';
import type { Provider } from '../../provider';
import { openAIErrorResponse } from '../common/openai-error';
import { sseData, sseResponse } from '../common/sse';
import { TokenRefused } from '../common/token-cache';
import { entraToken } from './entra-token';

interface Prepared {
  url: string;
  headers: Record<string, string>;
  body: string;
  stream: boolean;
  settings: AzureSettings;
}

export function azureUrl(apiBase: string, s: AzureSettings, deployment: string, op: string): string {
  if (s.style === 'v1') return `${apiBase}/openai/v1${op}${s.apiVersion === 'preview' ? '?api-version=preview' : ''}`;
  return `${apiBase}/openai/deployments/${encodeURIComponent(deployment)}${op}?api-version=${encodeURIComponent(s.apiVersion)}`;
}

export const azureProvider: Provider<Prepared> = {
  prepare({ endpoint, deployment, body }) {
    const settings = deployment.cloud as AzureSettings;
    const stream = body.stream === true;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', ...deployment.extraHeaders };
    // Only the deployment's own credentials go upstream; the caller's gateway key never does.
    if (deployment.apiKey !== undefined) headers['api-key'] = deployment.apiKey;
    else if (settings.adToken !== undefined) headers.authorization = `Bearer ${settings.adToken}`;
    return { url: azureUrl(deployment.apiBase, settings, deployment.upstreamModel, endpoint.path), headers, body: JSON.stringify(body), stream, settings };
  },
  async send(p, signal) {
    let headers = p.headers;
    if (p.settings.clientCredentials !== undefined && headers['api-key'] === undefined) {
      try {
        headers = { ...headers, authorization: `Bearer ${await entraToken(p.settings.clientCredentials, signal)}` };
      } catch (err) {
        if (err instanceof TokenRefused) return openAIErrorResponse(err.status, { message: err.message, type: 'authentication_error', code: 'upstream_auth_failed' });
        throw err;
      }
    }
    const res = await fetch(p.url, { method: 'POST', headers, body: p.body, signal });
    if (!res.ok || !p.stream || !res.headers.get('content-type')?.includes('text/event-stream') || res.body === null) return res;
    return sseResponse(withoutEmptyChoices(res.body));
  },
};

type Chunk = Record<string, unknown> & { choices?: unknown; usage?: unknown; prompt_filter_results?: unknown };

/** Azure's chunks, minus those with no choices and no usage (their filter results move to the next chunk). */
async function* withoutEmptyChoices(body: ReadableStream<Uint8Array>): AsyncGenerator<object> {
  let filters: unknown;
  for await (const data of sseData(body)) {
    if (data === '[DONE]') return;
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      continue; // not an event we can pass as JSON
    }
    if (typeof chunk.error === 'object' && chunk.error !== null) throw new Error('Azure sent an error event in the stream');
    const empty = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    if (empty && (chunk.usage === undefined || chunk.usage === null)) {
      if (chunk.prompt_filter_results !== undefined) filters = chunk.prompt_filter_results;
      continue;
    }
    if (filters !== undefined && !empty) {
      chunk.prompt_filter_results ??= filters;
      filters = undefined;
    }
    yield chunk;
  }
  throw new Error('the Azure stream ended without [DONE]');
}
