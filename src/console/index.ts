/**
 * The web console under /ui/: server-rendered pages, plain forms (it works without JavaScript), a session
 * cookie, and a CSRF check on every state change. Keys, teams, users and orgs are managed by the same rules as
 * /admin/keys, /admin/teams, /admin/users and /admin/orgs (domain/key-management.ts, team-management.ts,
 * user-management.ts, org-management.ts); admins also see the router's deployments. None of this is on the
 * model endpoints' path (routes/inference-lane.ts).
 */
import { Elysia } from 'elysia';
import type { AppDeps } from '../app';
import { parseOidcConfig } from '../config/oidc';
import { ConsoleSessions } from '../domain/console-sessions';
import { termsAccepted } from '../domain/terms';
import { authRoutes } from './auth-routes';
import { asset } from './assets';
import { ENDED, forbiddenPage, readForm, signedInPage, signedInPost, type ConsoleContext } from './guard';
import { deploymentsRoutes } from './deployments-routes';
import { consoleFilesRoutes } from './files-routes';
import { keysRoutes } from './keys-routes';
import { OidcClient } from '../http/oidc-client';
import { teamsRoutes } from './teams-routes';
import { orgsRoutes } from './orgs-routes';
import { usageRoutes } from './usage-routes';
import { termsRoutes } from './terms-routes';
import { usersRoutes } from './users-routes';
import { problemPage } from './pages/problem';
import { signedOutPage, signInPage } from './pages/sign-in';
import { startPage } from './pages/start';
import { assetResponse, page, redirect } from './respond';
import { clearedCookie, crossSite, currentSession, sessionCookie } from './session';

/** GET / from a browser (it asks for HTML) goes to the console; API clients see what they always saw. */
const wantsHtml = (request: Request) => request.method === 'GET' && new URL(request.url).pathname === '/' && (request.headers.get('accept') ?? '').includes('text/html');

export const consoleRoutes = (deps: AppDeps) => {
  const ctx: ConsoleContext = { deps, sessions: new ConsoleSessions(deps.db.sql, deps.settings.consoleSessionTtl) };
  // Single sign-on, when configured (a configuration with problems never gets this far: serve refuses it).
  const oidc = parseOidcConfig(deps.settings).oidc;
  const oidcClient = oidc && new OidcClient(oidc);
  const sso = oidc && { providerName: oidc.providerName };
  return new Elysia()
    .onRequest(({ request }) => (wantsHtml(request) ? new Response(null, { status: 302, headers: { location: '/ui/' } }) : undefined))
    // Also answers /ui (Elysia matches with and without the trailing slash).
    .get('/ui/', async ({ request }) => redirect('signedIn' in (await currentSession(request, ctx.sessions, deps.keys, deps.terms)) ? '/ui/keys' : '/ui/sign-in'))
    .get('/ui/assets/:name', ({ params }) => {
      const found = asset(params.name);
      return found ? assetResponse(found.body, found.type) : page(problemPage('Not found', 'There is no such file.'), 404);
    })
    .get('/ui/sign-in', async ({ request, query }) => {
      const state = await currentSession(request, ctx.sessions, deps.keys, deps.terms);
      if ('signedIn' in state) return redirect('/ui/keys');
      const why = query.ended ?? state.ended;
      const ended = why !== undefined && Object.hasOwn(ENDED, why) ? ENDED[why as keyof typeof ENDED] : undefined;
      return page(signInPage(ended ? { kind: 'error', text: ended } : undefined, sso), 200, state.ended ? { 'set-cookie': clearedCookie() } : {});
    })
    .post('/ui/sign-in', async ({ request }) => {
      // No session yet, so no token to check: the origin check stops another site signing a browser in.
      if (crossSite(request, deps.settings.publicUrl)) return forbiddenPage();
      const form = await readForm(request);
      if (form instanceof Response) return form;
      const principal = await deps.keys.authenticate((form.key ?? '').trim());
      if (principal === undefined) return page(signInPage({ kind: 'error', text: 'That key is not valid: it is unknown, revoked or expired.' }, sso), 401);
      if (principal.serviceAccountId !== null) {
        return page(signInPage({ kind: 'error', text: 'Service-account keys cannot sign in to the console. Use a personal key.' }, sso), 403);
      }
      const { token } = await ctx.sessions.open(principal.keyId, principal.userId);
      // Terms of service not accepted yet: straight to them (every page also says so until they are).
      return redirect(termsAccepted(principal, deps.terms) ? '/ui/keys' : '/ui/terms', { 'set-cookie': sessionCookie(request, deps.settings.publicUrl, token, deps.settings.consoleSessionTtl) });
    })
    .post(
      '/ui/sign-out',
      signedInPost(ctx, async ({ who }) => {
        await ctx.sessions.close(who.token);
        // A single sign-on session also ends at the provider when it offers that (RP-initiated logout).
        const idToken = who.session.idToken;
        const atProvider = idToken !== null && oidcClient !== undefined ? await oidcClient.endSessionUrl(idToken) : undefined;
        if (atProvider !== undefined) return page(signedOutPage(oidc!.providerName, atProvider.href), 200, { 'set-cookie': clearedCookie() });
        return redirect('/ui/sign-in', { 'set-cookie': clearedCookie() });
      }),
    )
    .use(oidc && oidcClient ? authRoutes(ctx, oidc, oidcClient) : new Elysia())
    .use(usageRoutes(ctx))
    .use(keysRoutes(ctx))
    .use(teamsRoutes(ctx))
    .use(usersRoutes(ctx))
    .use(orgsRoutes(ctx))
    .use(deploymentsRoutes(ctx))
    .use(consoleFilesRoutes(ctx))
    .use(termsRoutes(ctx))
    .get(
      '/ui/start',
      signedInPage(ctx, ({ who }, url) => page(startPage({ who, baseUrl: deps.settings.publicUrl ?? url.origin, router: deps.router, mcp: deps.mcp }))),
    )
    .get('/ui/*', async ({ request }) => {
      const state = await currentSession(request, ctx.sessions, deps.keys, deps.terms);
      return page(problemPage('Page not found', 'There is no such page in the console.', 'signedIn' in state ? state.signedIn : undefined), 404);
    });
};
