/** GET /health (alive) and GET /ready (the database answers, the configuration is loaded): no authentication. */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app';

export const healthRoutes = (deps: Pick<AppDeps, 'db'>) =>
  new Elysia()
    .get('/health', () => new Response('ok', { headers: { 'content-type': 'text/plain' } }), {
      response: { 200: t.String() },
      detail: { summary: 'Liveness check', tags: ['Operations'] },
    })
    .get(
      '/ready',
      () => {
        try {
          deps.db.sqlite.query('SELECT 1').get();
          return new Response('ready', { headers: { 'content-type': 'text/plain' } });
        } catch {
          return new Response('database unavailable', { status: 503, headers: { 'content-type': 'text/plain' } });
        }
      },
      { detail: { summary: 'Readiness check: the database answers and the configuration is loaded', tags: ['Operations'] } },
    );
