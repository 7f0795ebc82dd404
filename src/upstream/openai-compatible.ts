/**
 * OpenAI and every OpenAI-compatible server: the body goes out as JSON (audio requests: as multipart, the
 * upload streamed through), the answer comes back as is.
 */
import type { Deployment } from '../config/router-config';
import { audioFormOf, multipartBody } from './audio-form';
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
    const url = deployment.apiBase + endpoint.path;
    const form = endpoint.multipart ? audioFormOf(body) : undefined;
    if (form !== undefined) {
      // A fresh body per attempt: the parts are read again from the start (the upload is spooled as it arrives).
      const multipart = multipartBody(form, String(body.model));
      const headers = { ...headersFor(deployment, false), 'content-type': multipart.contentType, accept: '*/*' };
      return { url, init: { method: 'POST', headers, body: multipart.body, duplex: 'half' } as RequestInit };
    }
    return { url, init: { method: 'POST', headers: headersFor(deployment, body.stream === true), body: JSON.stringify(body) } };
  },
  send({ url, init }, signal) {
    return fetch(url, { ...init, signal });
  },
};
