/** /batches: create from an uploaded batch file, list, retrieve, cancel — owner-scoped; run by BatchRunner. */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app';
import { authWithTerms } from './terms-gate';
import { visibleModel } from '../domain/admission';
import { cancelBatch } from '../calls/batch-cancel';
import { normaliseEndpoint } from '../domain/files/batch-file';
import { ownedBatch, ownedFile } from '../domain/files/owned';
import { ownerOf } from '../domain/files/owner';
import type { Principal } from '../domain/key-cache';
import { ApiError } from '../http/api-error';
import { BatchList, BatchObject, batchJson } from '../schemas/batches';
import { gatedAuthErrors, cursorPage, ErrorResponse, refusals, secured } from '../schemas/common';
import { integerParam } from '../schemas/params';

const noSuchBatch = (id: string) => new ApiError(404, `No such Batch object: ${id.slice(0, 80)}`, { param: 'id', code: 'batch_not_found' });
const endpointSchema = t.Union([t.Literal('/v1/chat/completions'), t.Literal('/v1/completions'), t.Literal('/v1/embeddings'), t.Literal('/v1/responses')]);

export const batchesRoutes = (deps: AppDeps) => {
  const { batches, files, runner } = deps;
  const find = async (p: Principal, id: string) => {
    const batch = await ownedBatch(batches, p, id);
    if (!batch) throw noSuchBatch(id);
    return batch;
  };
  const idParams = t.Object({ id: t.String({ description: 'A batch id (batch_…)' }) });
  return new Elysia()
    .use(authWithTerms(deps))
    .post(
      '/batches',
      async ({ principal, body }) => {
        const owner = ownerOf(principal);
        const cap = owner.kind === 'team' ? deps.settings.maxActiveBatchesPerTeam : deps.settings.maxActiveBatchesPerUser;
        if ((await batches.activeCount(owner)) >= cap) {
          throw new ApiError(403, `Batch limit reached: at most ${cap} active batches per ${owner.kind}. Wait for one to finish or cancel one.`, { code: 'batch_limit_reached', headers: { 'x-should-retry': 'false' } });
        }
        const file = await ownedFile(files, principal, body.input_file_id);
        if (!file) throw new ApiError(404, `No such File object: ${body.input_file_id.slice(0, 80)}`, { param: 'input_file_id', code: 'file_not_found' });
        if (file.purpose !== 'batch' || file.batchEndpoint === null || file.batchModel === null) {
          throw new ApiError(400, `File ${file.id} was not uploaded with purpose "batch".`, { param: 'input_file_id', code: 'invalid_input_file' });
        }
        if (normaliseEndpoint(body.endpoint) !== file.batchEndpoint) {
          throw new ApiError(400, `The input file's requests are for ${file.batchEndpoint}, not ${body.endpoint}.`, { param: 'endpoint', code: 'invalid_value' });
        }
        // The file was checked at upload; the model must still be one this key may use.
        const model = visibleModel(deps.router, principal, file.batchModel);
        if (!model) throw new ApiError(404, `The model \`${file.batchModel}\` does not exist or you do not have access to it.`, { param: 'input_file_id', code: 'model_not_found' });
        const batch = await batches.create(owner, principal, { id: file.id, endpoint: file.batchEndpoint, model: model.name }, body.metadata ?? null, deps.settings.batchCompletionWindow);
        void runner.begin(batch);
        return batchJson(batch);
      },
      {
        body: t.Object({
          input_file_id: t.String(),
          endpoint: endpointSchema,
          completion_window: t.Literal('24h'),
          metadata: t.Optional(t.Union([t.Record(t.String({ maxLength: 64 }), t.String({ maxLength: 512 }), { maxProperties: 16 }), t.Null()])),
        }, { additionalProperties: true }),
        response: { 200: BatchObject, 400: ErrorResponse, 404: ErrorResponse, ...gatedAuthErrors },
        detail: secured('createBatch', 'Create a batch', ['Batches'], 'Runs every line of an uploaded batch file through the gateway (within 24 h); results go to an output file and an error file.'),
      },
    )
    .get(
      '/batches',
      async ({ principal, query }) => {
        const page = await batches.list(ownerOf(principal), query.limit ?? 20, query.after);
        if (!page) throw new ApiError(400, "Invalid value for 'after': no such batch.", { param: 'after', code: 'invalid_value' });
        return cursorPage(page.data.map(batchJson), page.hasMore);
      },
      {
        query: t.Object({
          limit: t.Optional(integerParam('limit', { minimum: 1, maximum: 100, default: 20, description: 'How many batches to list (OpenAI: 1 to 100)' })),
          after: t.Optional(t.String({ description: 'The id the previous page ended with' })),
        }),
        response: { 200: BatchList, ...refusals(400, 403) },
        detail: secured('listBatches', 'List batches', ['Batches'], 'Newest first, with cursor pagination.'),
      },
    )
    .get('/batches/:id', async ({ principal, params }) => batchJson(await find(principal, params.id)), {
      params: idParams,
      response: { 200: BatchObject, 404: ErrorResponse, ...gatedAuthErrors },
      detail: secured('retrieveBatch', 'Retrieve a batch', ['Batches']),
    })
    .post(
      '/batches/:id/cancel',
      async ({ principal, params }) => batchJson(await cancelBatch(batches, runner, await find(principal, params.id))),
      { params: idParams, response: { 200: BatchObject, 404: ErrorResponse, 409: ErrorResponse, ...gatedAuthErrors }, detail: secured('cancelBatch', 'Cancel a batch', ['Batches']) },
    );
};
