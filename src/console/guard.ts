/**
 * The two doors of the console: a signed-in page (else to the sign-in page) and a signed-in state change
 * (same-origin, with the session's CSRF token, else 403 and nothing happens). Domain refusals become pages
 * with their status (404 out of reach, 403, 400) and a human message.
 */
import type { AppDeps } from '../app';
import type { ConsoleSessions } from '../domain/console-sessions';
import { Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import { refusalToApiError } from '../http/refusal-response';
import { problemPage } from './pages/problem';
import { page, redirect } from './respond';
import { clearedCookie, crossSite, CSRF_FIELD, csrfMatches, currentSession, type SignedIn } from './session';

export interface ConsoleContext {
  deps: AppDeps;
  sessions: ConsoleSessions;
}

/** Console forms are a few fields; anything bigger is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

export const ENDED = {
  expired: 'Your session has ended. Please sign in again.',
  key_gone: 'Your session has ended: the key you signed in with was revoked or has expired. Sign in with a live key.',
};

/** The body as text, or undefined once it passes `max` bytes (read no further: a form is never that big). */
async function readCapped(request: Request, max: number): Promise<string | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > max) return undefined;
  if (request.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The form of a console POST, or a Response refusing it (too big, or not a form). */
export async function readForm(request: Request): Promise<Record<string, string> | Response> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return page(problemPage('Not a form', 'The console accepts only its own forms.'), 415);
  const text = await readCapped(request, MAX_FORM_BYTES);
  if (text === undefined) return page(problemPage('Form too large', 'That form was larger than the console accepts.'), 413);
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** To the sign-in page; when a session just ended, the page says why (by a fixed code, never free text). */
export const toSignIn = (ended: keyof typeof ENDED | undefined) =>
  ended === undefined ? redirect('/ui/sign-in') : redirect(`/ui/sign-in?ended=${ended}`, { 'set-cookie': clearedCookie() });

export const forbiddenPage = (who?: SignedIn) =>
  page(problemPage('Request refused', 'This form was sent from another site, or it has expired. Reload the page and try again.', who), 403);

function refusalPage(err: unknown, who: SignedIn): Response {
  if (err instanceof Refusal) return page(problemPage('That did not work', err.message, who), refusalToApiError(err).status);
  throw err;
}

interface RouteInput {
  request: Request;
  params: Record<string, string>;
}

export interface Signed {
  who: SignedIn;
  reach: Reach;
  params: Record<string, string>;
}

export function signedInPost(ctx: ConsoleContext, handle: (s: Signed, form: Record<string, string>) => Response | Promise<Response>) {
  return async ({ request, params }: RouteInput): Promise<Response> => {
    if (crossSite(request, ctx.deps.settings.publicUrl)) return forbiddenPage();
    const state = await currentSession(request, ctx.sessions, ctx.deps.keys, ctx.deps.terms);
    if (!('signedIn' in state)) return toSignIn(state.ended);
    const form = await readForm(request);
    if (form instanceof Response) return form;
    const who = state.signedIn;
    if (!csrfMatches(who.session, form[CSRF_FIELD])) return forbiddenPage(who);
    try {
      return await handle({ who, reach: new Reach(ctx.deps.directory, who.principal), params }, form);
    } catch (err) {
      return refusalPage(err, who);
    }
  };
}

/** The session is read before the page (async); a page's render, sync or async, gets the same refusal pages. */
export function signedInPage(ctx: ConsoleContext, render: (s: Signed, url: URL) => Response | Promise<Response>) {
  return async ({ request, params }: RouteInput): Promise<Response> => {
    const state = await currentSession(request, ctx.sessions, ctx.deps.keys, ctx.deps.terms);
    if (!('signedIn' in state)) return toSignIn(state.ended);
    const who = state.signedIn;
    try {
      const page = render({ who, reach: new Reach(ctx.deps.directory, who.principal), params }, new URL(request.url));
      return page instanceof Promise ? page.catch((err: unknown) => refusalPage(err, who)) : page;
    } catch (err) {
      return refusalPage(err, who);
    }
  };
}
