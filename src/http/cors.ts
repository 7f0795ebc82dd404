/**
 * CORS for the API paths: browsers may call the API from the configured origins ("*" for any), and may
 * read the request id, MCP session id and rate-limit headers. Preflights are answered here, before routing.
 */
import { Elysia } from 'elysia';
import { REQUEST_ID } from './request-id';

const API_PATH = /^\/(v1\/)?(models|chat\/|completions|embeddings|audio\/|images\/|files|batches|mcp-servers|admin\/)/;
/** Every method the API routes answer (PATCH: the admin API's updates). */
const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';
const EXPOSED = [
  REQUEST_ID,
  'mcp-session-id',
  'mcp-protocol-version',
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'www-authenticate',
].join(', ');

export function isApiPath(path: string): boolean {
  return API_PATH.test(path);
}

/** The CORS headers for an (already allowed) origin's actual request; undefined when the origin is not allowed. */
export function corsHeaders(origins: string[]): (origin: string | null) => Record<string, string> | undefined {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (origin) => {
    if (origin === null) return undefined;
    const acao = any ? '*' : allowed.has(origin) ? origin : undefined;
    return acao === undefined ? undefined : { 'access-control-allow-origin': acao, vary: 'Origin', 'access-control-expose-headers': EXPOSED };
  };
}

export const cors = (origins: string[]) => {
  const headersFor = corsHeaders(origins);
  return new Elysia().onRequest(({ request, set }) => {
    const origin = request.headers.get('origin');
    if (origin === null) return;
    if (!isApiPath(new URL(request.url).pathname)) return;
    const headers = headersFor(origin);
    if (headers === undefined) return;
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': headers['access-control-allow-origin']!,
          vary: 'Origin',
          'access-control-allow-methods': ALLOWED_METHODS,
          'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? 'authorization, content-type',
          'access-control-max-age': '600',
          [REQUEST_ID]: String(set.headers[REQUEST_ID]),
        },
      });
    }
    Object.assign(set.headers, headers);
  });
};
