/**
 * Bearer-key authentication. Every route that needs a key is refused with 401 in `requireKey`, before
 * routing and before anything reads the body: a caller without a valid key cannot make the gateway hold
 * (or validate) a single byte of what it sends. Routes then take the principal from `auth`/`authenticate`.
 */
import { Elysia } from 'elysia';
import { bearerKey } from '../domain/api-key';
import type { KeyCache, Principal } from '../domain/key-cache';
import { principalOf } from './access-log';
import { unauthorized } from './api-error';
import { carriesBody } from './body';
import { pathOf } from './url-path';

/**
 * The principal of the request's bearer key; throws 401 when there is none. Synchronous for a key the
 * cache knows (the hot path); a Promise when the cache must look first (an unknown key: see KeyCache).
 */
export function authenticate(keys: KeyCache, request: Request): Principal | Promise<Principal> {
  const known = principalOf.get(request); // already checked by requireKey
  if (known !== undefined) return known;
  const remember = (principal: Principal) => {
    principalOf.set(request, principal); // for the access log
    return principal;
  };
  const found = principalFor(keys, request.headers.get('authorization'));
  return found instanceof Promise ? found.then(remember) : remember(found);
}

/** The principal of an Authorization header's bearer key; throws (or rejects with) 401 when there is none. */
export function principalFor(keys: KeyCache, authorization: string | null): Principal | Promise<Principal> {
  const key = bearerKey(authorization);
  if (key === undefined) throw unauthorized(false);
  const found = keys.authenticate(key);
  return found instanceof Promise ? found.then(required) : required(found);
}

function required(principal: Principal | undefined): Principal {
  if (principal === undefined) throw unauthorized(true);
  return principal;
}

/**
 * The paths that need a key, bare and under /v1 (admin and MCP only bare). Open: /health, /ready,
 * /swagger; the model endpoints authenticate in their own lane (routes/inference-lane.ts), before
 * reading the body too. Unknown paths stay 404: no route, so no body is read.
 */
const KEYED_PATH = /^\/(?:v1\/)?(?:models|files|batches)(?:\/|$)|^\/(?:admin|mcp-servers)(?:\/|$)|^\/metrics\/?$/;

export const needsKey = (path: string) => KEYED_PATH.test(path);

/**
 * Mounted before body parsing: 401 (with WWW-Authenticate) for a request with a body to a keyed route
 * without a valid key. Requests without a body are authenticated by their routes as before, and a method
 * the path does not have stays a 405 (routing answers it without reading the body).
 */
export const requireKey = (keys: KeyCache, routed: (method: string, path: string) => boolean) =>
  // async: Elysia then awaits the hook (it guesses from a hook's source otherwise), for the keys it must look up.
  new Elysia().onRequest(async ({ request }) => {
    if (!carriesBody(request.method)) return;
    const path = pathOf(request.url);
    if (!needsKey(path) || !routed(request.method, path)) return;
    await authenticate(keys, request);
  });

export const auth = (keys: KeyCache) => new Elysia().resolve({ as: 'scoped' }, async ({ request }) => ({ principal: await authenticate(keys, request) }));
