/** OpenAI and every OpenAI-compatible server: the body goes out as JSON, the answer comes back as is. */
import type { Deployment } from '../config/router-config';
import type { Provider } from './provider';

/** The request headers of a deployment, built once (fetch copies them; they are never changed). */
const headerCache = new WeakMap<Deployment, { json: Record<string, string>; sse: Record<string, string> }>();

function headersFor(deployment: Deployment, stream: boolean): Record<string, string> {
  let cached = headerCache.get(deployment);
  if (!cached) {
    const make = (accept: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept, ...deployment.extraHeaders };
      // Only the deployment's own key goes upstream; the caller's gateway key never does.
      if (deployment.apiKey !== undefined) headers.authorization = `Bearer ${deployment.apiKey}`;
      return headers;
    };
    cached = { json: make('application/json'), sse: make('text/event-stream') };
    headerCache.set(deployment, cached);
  }
  return stream ? cached.sse : cached.json;
}

export const openAICompatible: Provider<{ url: string; init: RequestInit }> = {
  prepare({ endpoint, deployment, body }) {
    return { url: deployment.apiBase + endpoint.path, init: { method: 'POST', headers: headersFor(deployment, body.stream === true), body: JSON.stringify(body) } };
  },
  send({ url, init }, signal) {
    return fetch(url, { ...init, signal });
  },
};
