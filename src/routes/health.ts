/** GET /health (alive) and GET /ready (the database answers, the configuration is loaded): no authentication. */
import { Elysia } from 'elysia';
import type { AppDeps } from '../app';
import { ApiError, errorResponse } from '../http/api-error';
import { errorDocs } from '../schemas/common';

const text = (description: string, example: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' as const }, example } } });

export const healthRoutes = (deps: Pick<AppDeps, 'db'>) =>
  new Elysia()
    .get('/health', () => new Response('ok', { headers: { 'content-type': 'text/plain' } }), {
      detail: { operationId: 'getHealth', summary: 'Liveness check', tags: ['Operations'], responses: { 200: text('Alive', 'ok'), ...errorDocs(500) } },
    })
    .get(
      '/ready',
      () => {
        try {
          deps.db.sqlite.query('SELECT 1').get();
          return new Response('ready', { headers: { 'content-type': 'text/plain' } });
        } catch {
          return errorResponse(new ApiError(503, 'The database is unavailable.', { code: 'database_unavailable' }));
        }
      },
      {
        detail: {
          operationId: 'getReady',
          summary: 'Readiness check: the database answers and the configuration is loaded',
          tags: ['Operations'],
          responses: { 200: text('Ready', 'ready'), ...errorDocs(500, 503) },
        },
      },
    );
