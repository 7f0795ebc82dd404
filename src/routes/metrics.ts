/** GET /metrics: Prometheus text format, for admin keys only. */
import { Elysia } from 'elysia';
import type { AppDeps } from '../app';
import { ApiError } from '../http/api-error';
import { authenticate } from '../http/auth';
import { errorDocs, secured } from '../schemas/common';

export const metricsRoutes = (deps: AppDeps) =>
  new Elysia().get(
    '/metrics',
    async ({ request }) => {
      const p = await authenticate(deps.keys, request);
      if (p.role !== 'admin' || p.serviceAccountId !== null) throw new ApiError(404, `Invalid URL (GET /metrics)`, { code: 'unknown_url' });
      return new Response(deps.metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } });
    },
    {
      detail: {
        ...secured('getMetrics', 'Prometheus metrics (admin keys)', ['Operations'], 'Other keys get 404, as if the route did not exist.'),
        responses: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorDocs(401, 404, 500),
        },
      },
    },
  );
