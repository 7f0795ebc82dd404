/**
 * /ui/terms: the terms of service in force (AQUEDUCT_TOS_FILE) and the form to accept them. Accepting
 * records the version and the time (domain/terms.ts TermsAcceptances) and refreshes the key cache, so the
 * person's keys — and the service-account keys of the teams they are an admin of — work on the very next
 * request. The form names the version it showed: if the file changed in between, nothing is recorded and
 * the new version is shown instead. Without terms the page does not exist (404).
 */
import { Elysia } from 'elysia';
import { notFound } from '../domain/reach';
import { TermsAcceptances } from '../domain/terms';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import { termsPage } from './pages/terms';
import { page, redirect } from './respond';

export const termsRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const acceptances = new TermsAcceptances(deps.db.sql);
  const current = () => {
    if (deps.terms === undefined) throw notFound('page');
    return deps.terms.current();
  };
  return new Elysia()
    .get(
      '/ui/terms',
      signedInPage(ctx, async ({ who }, url) => {
        const doc = current();
        const acceptedAt = await acceptances.acceptedAt(who.principal.userId, doc.version);
        const accepted = url.searchParams.get('done') === 'accepted' && acceptedAt !== undefined;
        return page(termsPage({ who, doc, acceptedAt, notice: accepted ? { kind: 'ok', text: 'Thank you: you accepted the terms. Your keys work now.' } : undefined }));
      }),
    )
    .post(
      '/ui/terms',
      signedInPost(ctx, async ({ who }, form) => {
        const doc = current();
        if (form.version !== doc.version) {
          const notice = { kind: 'error' as const, text: 'The terms changed while you were reading them. Please read this version and accept it.' };
          return page(termsPage({ who, doc, acceptedAt: await acceptances.acceptedAt(who.principal.userId, doc.version), notice }), 409);
        }
        await acceptances.accept(who.principal.userId, doc.version);
        deps.keys.refresh();
        return redirect('/ui/terms?done=accepted');
      }),
    );
};
