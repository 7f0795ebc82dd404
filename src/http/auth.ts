/** Bearer-key authentication for API routes; puts the caller's `principal` in the route context. */
import { Elysia } from 'elysia';
import { bearerKey } from '../domain/api-key';
import type { KeyCache, Principal } from '../domain/key-cache';
import { principalOf } from './access-log';
import { unauthorized } from './api-error';

/** The principal of the request's bearer key; throws 401 when there is none. */
export function authenticate(keys: KeyCache, request: Request): Principal {
  const key = bearerKey(request.headers.get('authorization'));
  const principal = key === undefined ? undefined : keys.authenticate(key);
  if (principal === undefined) throw unauthorized();
  principalOf.set(request, principal);
  return principal;
}

export const auth = (keys: KeyCache) => new Elysia().resolve({ as: 'scoped' }, ({ request }) => ({ principal: authenticate(keys, request) }));
