/** Bearer-key authentication for API routes; puts the caller's `principal` in the route context. */
import { Elysia } from 'elysia';
import { bearerKey } from '../domain/api-key';
import type { KeyCache } from '../domain/key-cache';
import { unauthorized } from './api-error';

export const auth = (keys: KeyCache) =>
  new Elysia().resolve({ as: 'scoped' }, ({ request }) => {
    const key = bearerKey(request.headers.get('authorization'));
    const principal = key === undefined ? undefined : keys.authenticate(key);
    if (principal === undefined) throw unauthorized();
    return { principal };
  });
