/** /files: upload (streamed to disk), list with cursor pagination, retrieve, download, delete — owner-scoped. */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app';
import { authWithTerms } from './terms-gate';
import { visibleModel } from '../domain/admission';
import { ownedFile } from '../domain/files/owned';
import { ownerOf } from '../domain/files/owner';
import { receiveUpload } from '../domain/files/upload';
import type { Principal } from '../domain/key-cache';
import { ApiError } from '../http/api-error';
import { fileDownload } from '../http/file-download';
import { multipartUpload } from '../http/multipart';
import { gatedAuthErrors, cursorPage, errorDocs, ErrorResponse, refusals, secured } from '../schemas/common';
import { FileDeleted, FileList, FileObject, fileJson } from '../schemas/files';
import { integerParam } from '../schemas/params';
import { ENDPOINTS } from '../config/endpoints';

const noSuchFile = (id: string) => new ApiError(404, `No such File object: ${id.slice(0, 80)}`, { param: 'id', code: 'file_not_found' });
const BATCH_ENDPOINT = { '/v1/chat/completions': ENDPOINTS.chat, '/v1/completions': ENDPOINTS.completions, '/v1/embeddings': ENDPOINTS.embeddings, '/v1/responses': ENDPOINTS.responses } as const;

export const filesRoutes = (deps: AppDeps) => {
  const store = deps.files;
  const find = async (p: Principal, id: string) => {
    const file = await ownedFile(store, p, id);
    if (!file) throw noSuchFile(id);
    return file;
  };
  const limits = {
    maxFileSize: deps.settings.maxFileSize,
    maxBatchFileSize: deps.settings.maxBatchFileSize,
    maxBatchLines: deps.settings.maxBatchLines,
    storagePerOwner: deps.settings.storagePerOwner,
    purposes: deps.settings.filePurposes,
    batchFileExpiryMs: deps.settings.batchFileExpiry,
  };
  const idParams = t.Object({ id: t.String({ description: 'A file id (file-…)' }) });

  return new Elysia()
    .use(authWithTerms(deps))
    .post(
      '/files',
      async ({ request, principal, server }) => {
        server?.timeout(request, 0); // large uploads over slow links (a stalled one is ended by uploadIdleTimeout)
        const file = await receiveUpload(multipartUpload(request, deps.settings.uploadIdleTimeout), store, principal, limits, (name, url) => {
          const model = visibleModel(deps.router, principal, name);
          return model && { name: model.name, serves: model.mode === undefined || BATCH_ENDPOINT[url].modes.includes(model.mode) };
        });
        return fileJson(file);
      },
      {
        response: { 200: FileObject, 400: ErrorResponse, 408: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, ...gatedAuthErrors },
        detail: {
          ...secured('createFile', 'Upload a file', ['Files'], 'multipart/form-data with `file` and `purpose` (batch, user_data, assistants, vision); optional `expires_after[anchor]=created_at`, `expires_after[seconds]`. Batch files are validated line by line.'),
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file', 'purpose'],
                  properties: { file: { type: 'string', format: 'binary' }, purpose: { type: 'string' }, 'expires_after[anchor]': { type: 'string' }, 'expires_after[seconds]': { type: 'integer' } },
                },
              },
            },
          },
        },
      },
    )
    .get(
      '/files',
      async ({ principal, query }) => {
        const page = await store.list(ownerOf(principal), { purpose: query.purpose, limit: query.limit ?? 10_000, order: query.order ?? 'desc', after: query.after });
        if (!page) throw new ApiError(400, `Invalid value for 'after': no such file.`, { param: 'after', code: 'invalid_value' });
        return cursorPage(page.data.map(fileJson), page.hasMore);
      },
      {
        query: t.Object({
          purpose: t.Optional(t.String()),
          limit: t.Optional(integerParam('limit', { minimum: 1, maximum: 10_000, default: 10_000, description: 'How many files to list (OpenAI: 1 to 10,000)' })),
          order: t.Optional(t.Union([t.Literal('asc'), t.Literal('desc')])),
          after: t.Optional(t.String({ description: 'The id the previous page ended with' })),
        }),
        response: { 200: FileList, 400: ErrorResponse, ...gatedAuthErrors },
        detail: secured('listFiles', 'List files', ['Files'], "The caller's files (a service-account key: its team's), newest first."),
      },
    )
    .get('/files/:id', async ({ principal, params }) => fileJson(await find(principal, params.id)), {
      params: idParams,
      response: { 200: FileObject, 404: ErrorResponse, ...gatedAuthErrors },
      detail: secured('retrieveFile', 'Retrieve a file', ['Files']),
    })
    .get(
      '/files/:id/content',
      async ({ principal, params }) => {
        const file = await find(principal, params.id);
        return fileDownload(await store.content(file), file.filename);
      },
      {
        params: idParams,
        detail: {
          ...secured('downloadFile', 'Download a file', ['Files'], 'The bytes as stored (streamed).'),
          responses: {
            200: { description: 'The file content', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
            ...errorDocs(403, 404, 401, 500),
          },
        },
      },
    )
    .delete(
      '/files/:id',
      async ({ principal, params }) => {
        const file = await find(principal, params.id);
        await store.delete(ownerOf(principal), file.id);
        return { id: file.id, object: 'file' as const, deleted: true as const };
      },
      { params: idParams, response: { 200: FileDeleted, ...refusals(403, 404) }, detail: secured('deleteFile', 'Delete a file', ['Files']) },
    );
};
