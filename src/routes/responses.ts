/**
 * GET and DELETE /responses/{id}, GET /responses/{id}/input_items — owner-scoped (another owner's id is the
 * same 404 as a missing one). POST /responses is a model endpoint, served by the inference lane
 * (routes/inference.ts). The rules are in src/calls/responses.ts.
 */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app';
import { ResponseCalls, type StoredAnswer } from '../calls/responses';
import { errorDocs, secured } from '../schemas/common';
import { JsonObject } from '../schemas/inference';
import { integerParam } from '../schemas/params';
import { authWithTerms } from './terms-gate';

const json = (a: StoredAnswer) =>
  new Response(typeof a.body === 'string' ? a.body : JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });

export const responsesRoutes = (deps: AppDeps) => {
  const calls = new ResponseCalls(deps.responses, () => deps.calls.nativeTarget());
  const params = t.Object({ id: t.String({ minLength: 1, maxLength: 200, description: 'A response id (resp_…)' }) });
  const ok = (description: string) => ({ 200: { description, content: { 'application/json': { schema: JsonObject } } }, ...errorDocs(400, 401, 403, 404, 500, 502, 503, 504) });

  return new Elysia()
    .use(authWithTerms(deps))
    .get('/responses/:id', async ({ principal, params: p, request }) => json(await calls.retrieve(principal, p.id, request.signal)), {
      params,
      detail: { ...secured('getResponse', 'Retrieve a response of yours', ['Responses']), responses: ok('The Response object') },
    })
    .delete('/responses/:id', async ({ principal, params: p, request }) => json(await calls.remove(principal, p.id, request.signal)), {
      params,
      detail: { ...secured('deleteResponse', 'Delete a response of yours', ['Responses']), responses: ok('{id, object: "response", deleted: true}') },
    })
    .get(
      '/responses/:id/input_items',
      async ({ principal, params: p, query, request }) => json(await calls.inputItems(principal, p.id, { limit: query.limit, order: query.order, after: query.after }, request.signal)),
      {
        params,
        query: t.Object({
          limit: t.Optional(integerParam('limit', { minimum: 1, maximum: 100, default: 20, description: 'How many items (1 to 100)' })),
          order: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')], { description: 'desc (default): newest first' })),
          after: t.Optional(t.String({ description: 'An item id: list the items after it' })),
        }),
        detail: { ...secured('listInputItems', 'List the input items of a response of yours', ['Responses']), responses: ok('A cursor page of input items') },
      },
    );
};
