/** Bearer-key authentication for API routes; puts the caller's `principal` in the route context. */
import { Elysia } from 'elysia';
import { bearerKey } from '../domain/api-key';
import type { KeyCache, Principal } from '../domain/key-cache';
import { principalOf } from './access-log';
import { unauthorized } from './api-error';

/** The principal of the request's bearer key; throws 401 when there is none. */
export function authenticate(keys: KeyCache, request: Request): Principal {
  const principal = principalFor(keys, request.headers.get('authorization'));
  principalOf.set(request, principal); // for the access log
  return principal;
}

/** The principal of an Authorization header's bearer key; throws 401 when there is none. */
export function principalFor(keys: KeyCache, authorization: string | null): Principal {
  const key = bearerKey(authorization);
  const principal = key === undefined ? undefined : keys.authenticate(key);
  if (principal === undefined) throw unauthorized(key !== undefined);
  return principal;
}

export const auth = (keys: KeyCache) => new Elysia().resolve({ as: 'scoped' }, ({ request }) => ({ principal: authenticate(keys, request) }));
