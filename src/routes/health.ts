/** GET /health: liveness, no authentication. */
import { Elysia, t } from 'elysia';

export const healthRoutes = () =>
  new Elysia().get('/health', () => new Response('ok', { headers: { 'content-type': 'text/plain' } }), {
    response: { 200: t.String() },
    detail: { summary: 'Liveness check', tags: ['Operations'] },
  });
