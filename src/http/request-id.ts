/** Gives every response an `x-request-id`: a per-process random prefix plus a counter (cheap and unique). */
import { randomBytes } from 'node:crypto';
import { Elysia } from 'elysia';

const prefix = `req_${randomBytes(8).toString('hex')}`;
let counter = 0;

export function nextRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return prefix + counter.toString(36);
}

export const REQUEST_ID = 'x-request-id';

export const requestId = () =>
  new Elysia().onRequest(({ set }) => {
    set.headers[REQUEST_ID] = nextRequestId();
  });
