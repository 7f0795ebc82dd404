/** /ui/keys: the keys page and its three forms (create, rename, revoke), over domain/key-management.ts. */
import { Elysia } from 'elysia';
import { createKey, listKeys, revokeKey, updateKey } from '../domain/key-management';
import type { Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import type { Notice } from './layout';
import { EXPIRY_CHOICES, keysPage, MAX_NAME } from './pages/keys';
import { page, redirect } from './respond';
import type { SignedIn } from './session';

/** Messages after a redirect, by a fixed code: nothing from the URL is ever shown as text. */
const DONE: Record<string, string> = { renamed: 'Key renamed.', revoked: 'Key revoked: it no longer works.' };

const invalid = (message: string) => new Refusal('invalid', message);

function keyName(form: Record<string, string>): string {
  const value = (form.name ?? '').trim();
  if (value.length > MAX_NAME) throw invalid(`A key name may have at most ${MAX_NAME} characters.`);
  return value;
}

/** A key id from the path; anything else is a key that does not exist. */
function keyId(raw: string | undefined): number {
  const id = raw !== undefined && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(id)) throw new Refusal('not_found', 'No such key.');
  return id;
}

export const keysRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const view = async (who: SignedIn, reach: Reach, extra: { notice?: Notice; created?: { name: string; key: string } } = {}) =>
    keysPage({ who, keys: await listKeys(deps.directory, reach), maxKeys: deps.settings.maxKeysPerUser, ...extra });
  return new Elysia()
    .get(
      '/ui/keys',
      signedInPage(ctx, async ({ who, reach }, url) => {
        const done = DONE[url.searchParams.get('done') ?? ''];
        return page(await view(who, reach, { notice: done ? { kind: 'ok', text: done } : undefined }));
      }),
    )
    .post(
      '/ui/keys',
      signedInPost(ctx, async ({ who, reach }, form) => {
        try {
          const expiry = EXPIRY_CHOICES[form.expires ?? 'never'];
          if (expiry === undefined) throw invalid('Choose one of the offered lifetimes.');
          const created = await createKey(deps.directory, reach, deps.settings.maxKeysPerUser, { name: keyName(form), expiresInMs: expiry.ms });
          deps.keys.refresh();
          // Answered directly, not redirected: the key exists only in this one answer.
          return page(await view(who, reach, { created: { name: created.name, key: created.key }, notice: { kind: 'ok', text: 'Key created.' } }), 201);
        } catch (err) {
          // The cap and a bad name are shown on the keys page itself, where the person can act on them.
          if (err instanceof Refusal && (err.kind === 'forbidden' || err.kind === 'invalid')) {
            return page(await view(who, reach, { notice: { kind: 'error', text: err.message } }), err.kind === 'forbidden' ? 403 : 400);
          }
          throw err;
        }
      }),
    )
    .post(
      '/ui/keys/:id/rename',
      signedInPost(ctx, async ({ reach, params }, form) => {
        await updateKey(deps.directory, reach, keyId(params.id), { name: keyName(form) });
        deps.keys.refresh();
        return redirect('/ui/keys?done=renamed');
      }),
    )
    .post(
      '/ui/keys/:id/revoke',
      signedInPost(ctx, async ({ reach, params }) => {
        await revokeKey(deps.directory, reach, keyId(params.id));
        deps.keys.refresh();
        return redirect('/ui/keys?done=revoked');
      }),
    );
};
