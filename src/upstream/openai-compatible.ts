/** OpenAI and every OpenAI-compatible server: the body goes out as JSON, the answer comes back as is. */
import type { Provider } from './provider';

export const openAICompatible: Provider = {
  send({ endpoint, deployment, body, signal }) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: body.stream === true ? 'text/event-stream' : 'application/json',
      ...deployment.extraHeaders,
    };
    // Only the deployment's own key goes upstream; the caller's gateway key never does.
    if (deployment.apiKey !== undefined) headers.authorization = `Bearer ${deployment.apiKey}`;
    return fetch(deployment.apiBase + endpoint.path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal,
    });
  },
};
