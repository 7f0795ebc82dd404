/**
 * /ui/files: the person's files and batches, with download, delete and cancel. The same owner-scoped
 * look-ups (domain/files/owned.ts), store calls and cancel rule (calls/batch-cancel.ts) as /v1/files and
 * /v1/batches, so the console can reach exactly what the person's key can, and nothing else.
 */
import { Elysia } from 'elysia';
import { cancelBatch } from '../calls/batch-cancel';
import { ownedBatch, ownedFile } from '../domain/files/owned';
import { ownerOf } from '../domain/files/owner';
import type { Principal } from '../domain/key-cache';
import { Refusal } from '../domain/refusal';
import { fileDownload } from '../http/file-download';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import { filesPage } from './pages/files';
import { page, redirect } from './respond';

/** Messages after a redirect, by a fixed code: nothing from the URL is ever shown as text. */
const DONE: Record<string, string> = {
  deleted: 'File deleted.',
  cancelling: 'Batch cancelling: lines not yet run will not be run; its result files follow shortly.',
};

/** A page shows the newest this many of each; the API pages through the rest. */
const SHOWN = 200;

export const consoleFilesRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  // Out of reach and absent are the same 404, as in the API.
  const file = async (p: Principal, id: string | undefined) => {
    const found = id === undefined ? undefined : await ownedFile(deps.files, p, id);
    if (!found) throw new Refusal('not_found', 'No such file.');
    return found;
  };
  const batch = async (p: Principal, id: string | undefined) => {
    const found = id === undefined ? undefined : await ownedBatch(deps.batches, p, id);
    if (!found) throw new Refusal('not_found', 'No such batch.');
    return found;
  };
  return new Elysia()
    .get(
      '/ui/files',
      signedInPage(ctx, async ({ who }, url) => {
        const owner = ownerOf(who.principal);
        const done = DONE[url.searchParams.get('done') ?? ''];
        return page(
          filesPage({
            who,
            baseUrl: deps.settings.publicUrl ?? url.origin,
            // Neither can be undefined: there is no `after` cursor.
            files: (await deps.files.list(owner, { limit: SHOWN, order: 'desc' }))!,
            batches: (await deps.batches.list(owner, SHOWN))!,
            notice: done ? { kind: 'ok', text: done } : undefined,
          }),
        );
      }),
    )
    .get(
      '/ui/files/:id/content',
      signedInPage(ctx, async ({ who, params }) => {
        const found = await file(who.principal, params.id);
        // The API's headers (attachment, nosniff), and never kept in the browser's cache.
        return fileDownload(await deps.files.content(found), found.filename, { 'cache-control': 'no-store' });
      }),
    )
    .post(
      '/ui/files/:id/delete',
      signedInPost(ctx, async ({ who, params }) => {
        const found = await file(who.principal, params.id);
        await deps.files.delete(ownerOf(who.principal), found.id);
        return redirect('/ui/files?done=deleted');
      }),
    )
    .post(
      '/ui/batches/:id/cancel',
      signedInPost(ctx, async ({ who, params }) => {
        await cancelBatch(deps.batches, deps.runner, await batch(who.principal, params.id));
        return redirect('/ui/files?done=cancelling');
      }),
    );
};
