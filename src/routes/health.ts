/** GET /health (alive) and GET /ready (the database answers, the configuration is loaded): no authentication. */
import { Elysia } from 'elysia';
import type { Sql } from '../db/sql';
import { ApiError, errorResponse } from '../http/api-error';
import { errorDocs } from '../schemas/common';

const text = (description: string, example: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' as const }, example } } });

/** How long /ready waits for `SELECT 1`: a PostgreSQL that stopped answering must make it 503, not hang it. */
export const READY_TIMEOUT_MS = 2_000;

/** Whether the database answers `SELECT 1` within `ms` (SQLite or PostgreSQL, through the Sql port). */
async function answers(sql: Sql, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([sql.get('SELECT 1 AS ok').then((row) => row !== undefined), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes = (deps: { db: { sql: Sql } }, readyTimeoutMs = READY_TIMEOUT_MS) =>
  new Elysia()
    .get('/health', () => new Response('ok', { headers: { 'content-type': 'text/plain' } }), {
      detail: { operationId: 'getHealth', summary: 'Liveness check', tags: ['Operations'], responses: { 200: text('Alive', 'ok'), ...errorDocs(500) } },
    })
    .get(
      '/ready',
      async () =>
        (await answers(deps.db.sql, readyTimeoutMs))
          ? new Response('ready', { headers: { 'content-type': 'text/plain' } })
          : errorResponse(new ApiError(503, 'The database is unavailable.', { code: 'database_unavailable' })),
      {
        detail: {
          operationId: 'getReady',
          summary: 'Readiness check: the database answers and the configuration is loaded',
          tags: ['Operations'],
          responses: { 200: text('Ready', 'ready'), ...errorDocs(500, 503) },
        },
      },
    );
