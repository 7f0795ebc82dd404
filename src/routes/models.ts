/** GET /models and GET /models/{id}: the configured model names (aliases resolve but are not listed). */
import { Elysia, t } from 'elysia';
import { visibleModel } from '../domain/admission';
import type { Principal } from '../domain/key-cache';
import { modelNotFound } from '../http/api-error';
import { auth } from '../http/auth';
import { authErrors, ErrorResponse, secured } from '../schemas/common';
import { Model, ModelList } from '../schemas/models';
import type { AppDeps } from '../app';

/** Wildcard params arrive percent-encoded; the OpenAI SDK encodes "/" in model ids as %2F. */
function decodePathParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export const modelsRoutes = (deps: AppDeps) => {
  const created = Math.floor(deps.startedAt / 1000);
  const toModel = (id: string) => ({ id, object: 'model' as const, created, owned_by: 'aqueduct' });
  // An excluded model is indistinguishable from an unknown one: absent from the list, 404 by name or alias.
  const retrieve = (principal: Principal, raw: string) => {
    const name = decodePathParam(raw);
    const model = visibleModel(deps.router, principal, name);
    if (!model) throw modelNotFound(name);
    return toModel(model.name);
  };

  return new Elysia()
    .use(auth(deps.keys))
    .get('/models', ({ principal }) => ({ object: 'list' as const, data: [...deps.router.models.keys()].filter((m) => !principal.excludedModels.has(m)).map(toModel) }), {
      response: { 200: ModelList, ...authErrors },
      detail: secured('listModels', 'List models', ['Models'], 'The models this key may use. Aliases are accepted everywhere but not listed.'),
    })
    .get('/models/:model', ({ params, principal }) => retrieve(principal, params.model), {
      params: t.Object({ model: t.String({ description: 'A model name or alias' }) }),
      response: { 200: Model, 404: ErrorResponse, ...authErrors },
      detail: secured('retrieveModel', 'Retrieve a model', ['Models'], 'An alias resolves to its model.'),
    })
    // Model names may contain "/" (e.g. Qwen/Qwen2.5-7B-Instruct): the same lookup for the rest of the path.
    .get('/models/*', ({ params, principal }) => retrieve(principal, params['*']), { detail: { hide: true } });
};
