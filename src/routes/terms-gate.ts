/**
 * The terms-of-service gate of the API routes that act (model calls, files, batches, MCP calls): the
 * domain rule (src/domain/terms.ts) with the URL to accept at, which only the edge knows — the configured
 * public URL, else the origin the request came to. /models, /mcp-servers and /admin are not gated.
 */
import { Elysia } from 'elysia';
import type { AppDeps } from '../app';
import type { Principal } from '../domain/key-cache';
import { requireTermsAccepted } from '../domain/terms';
import { authenticate } from '../http/auth';

export const TERMS_PAGE = '/ui/terms';

export const termsUrl = (deps: Pick<AppDeps, 'settings'>, request: Request) => `${deps.settings.publicUrl ?? new URL(request.url).origin}${TERMS_PAGE}`;

/** Throws the tos_not_accepted refusal (403) when the key may not work yet. */
export const termsGate = (deps: Pick<AppDeps, 'settings' | 'terms'>) => (principal: Principal, request: Request) =>
  requireTermsAccepted(principal, deps.terms, () => termsUrl(deps, request));

/** `auth` for the gated routes: the principal, once the terms in force are accepted (else 403). */
export const authWithTerms = (deps: AppDeps) => {
  const gate = termsGate(deps);
  return new Elysia().resolve({ as: 'scoped' }, async ({ request }) => {
    const principal = await authenticate(deps.keys, request);
    gate(principal, request);
    return { principal };
  });
};
