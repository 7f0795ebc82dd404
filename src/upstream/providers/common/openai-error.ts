/**
 * Upstream failures of translating providers, re-encoded as the OpenAI error shape with the upstream's
 * status kept (so the router retries 429 and 5xx, and a 4xx reaches the caller as the upstream's words).
 */
export interface ErrorFields {
  message: string;
  type?: string;
  code?: string | null;
  param?: string | null;
}

export function openAIErrorResponse(status: number, e: ErrorFields, headers?: Headers): Response {
  const out = new Headers({ 'content-type': 'application/json' });
  for (const name of ['retry-after', 'retry-after-ms']) {
    const v = headers?.get(name);
    if (v) out.set(name, v);
  }
  const type = e.type ?? (status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error');
  return new Response(JSON.stringify({ error: { message: e.message, type, param: e.param ?? null, code: e.code ?? null } }), { status, headers: out });
}

/** The text of a failed upstream answer, parsed as JSON when it is JSON. */
export async function errorBody(res: Response): Promise<{ text: string; json: Record<string, unknown> | undefined }> {
  const text = await res.text().catch(() => '');
  try {
    const json = JSON.parse(text) as unknown;
    return { text, json: typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

/** A call this provider cannot serve (e.g. /audio/speech on Gemini): a 400 before anything is sent. */
export function unsupported(provider: string, what: string): Response {
  return openAIErrorResponse(400, { message: `The ${provider} provider does not serve ${what}.`, type: 'invalid_request_error', code: 'unsupported_endpoint' });
}
