/**
 * One JSON line per request on stdout: request id, method, path, status, latency, the key's preview (never
 * the key), and for model calls the model and tokens (written by the relay when the call ends, streams
 * included). Settings: AQUEDUCT_ACCESS_LOG (on/off).
 */
import { Elysia } from 'elysia';
import { noAccessLog, type AccessLine, type AccessLog } from '../domain/access-line';
import type { Principal } from '../domain/key-cache';
import { REQUEST_ID } from './request-id';

export type { AccessLine, AccessLog };
export { noAccessLog };

/** The current time in ISO 8601; many lines share a millisecond under load, and so share the string. */
let isoMs = 0;
let iso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
}

/**
 * Access lines written in batches: one write per 50 ms (or per 64 KB) instead of one per request, which
 * under load costs more than everything else the line needs. `flush()` writes what is buffered now
 * (shutdown, exit).
 */
export function accessLogTo(write: (text: string) => void): { log: AccessLog; flush(): void } {
  let buffered = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffered === '') return;
    const text = buffered;
    buffered = '';
    write(text);
  };
  const log: AccessLog = (line) => {
    // The line's own fields after `ts` and `type`, without copying the object.
    const fields = JSON.stringify(line);
    buffered += `{"ts":"${isoNow()}","type":"access"${fields.length > 2 ? `,${fields.slice(1)}` : '}'}\n`;
    if (buffered.length >= 65_536) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 50).unref();
    }
  };
  return { log, flush };
}

/**
 * Who made a request (set by authentication). The model endpoints do not pass through here: their lane
 * and the relay write their lines (routes/inference-lane.ts).
 */
export const principalOf = new WeakMap<Request, Principal>();
/** Requests whose line the model-call pipeline writes (e.g. /v1/messages): no second line here. */
export const loggedElsewhere = new WeakSet<Request>();
const startedAt = new WeakMap<Request, number>();

export const accessLog = (log: AccessLog) =>
  new Elysia()
    .onRequest(({ request }) => {
      startedAt.set(request, performance.now());
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue, path }) => {
      if (loggedElsewhere.has(request)) return;
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200;
      const started = startedAt.get(request);
      log({
        request_id: String(set.headers[REQUEST_ID] ?? (responseValue instanceof Response ? responseValue.headers.get(REQUEST_ID) : '') ?? ''),
        method: request.method,
        path,
        status,
        latency_ms: started === undefined ? 0 : Math.round((performance.now() - started) * 10) / 10,
        key: principalOf.get(request)?.keyPreview,
      });
    });
