/**
 * /ui/users ("People"): the users of the org(s) in reach and their role, limits and excluded models, over
 * domain/user-management.ts — the same rules as PATCH /admin/users/{id}: out of reach is 404, a change the
 * policy rules refuse is shown on the page (403) and nothing changes. Only org admins and admins have it.
 */
import { Elysia } from 'elysia';
import type { PolicyPatch, User } from '../domain/directory';
import type { Role } from '../domain/key-cache';
import { notFound, type Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import { TermsAcceptances } from '../domain/terms';
import { updateUser, visibleUsers } from '../domain/user-management';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import type { Notice } from './layout';
import { MAX_MODELS_TEXT, usersPage } from './pages/users';
import { page, redirect } from './respond';
import type { SignedIn } from './session';

const invalid = (message: string) => new Refusal('invalid', message);
const ROLES: readonly Role[] = ['user', 'org-admin', 'admin'];
const LIMITS = [
  ['rpm', 'Requests per minute'],
  ['itpm', 'Input tokens per minute'],
  ['otpm', 'Output tokens per minute'],
] as const;

/** The page is for those who manage an org (org admins, admins); for everyone else it does not exist. */
function assertPeopleReach(reach: Reach): void {
  if (!reach.isAdmin && !reach.manageOrg(reach.p.orgId)) throw notFound('page');
}

function pathId(raw: string | undefined): number {
  const id = raw !== undefined && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(id)) throw notFound('user');
  return id;
}

function parseLimit(raw: string | undefined, label: string): number | null {
  const value = (raw ?? '').trim();
  if (value === '') return null;
  if (!/^[1-9]\d{0,15}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) throw invalid(`${label} must be a whole number of at least 1, or empty for none.`);
  return Number(value);
}

function parseModels(raw: string | undefined): string[] {
  const text = raw ?? '';
  if (text.length > MAX_MODELS_TEXT) throw invalid(`Excluded models may have at most ${MAX_MODELS_TEXT} characters.`);
  return [...new Set(text.split(',').map((m) => m.trim()).filter((m) => m !== ''))];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Only what the form changes: an unchanged field is not sent, so an unchanged own row is no "edit of one's own". */
function changeFrom(user: User, form: Record<string, string>): { role?: Role; policy: PolicyPatch } {
  const role = form.role;
  if (role !== undefined && !ROLES.includes(role as Role)) throw invalid('Choose a role: user, org-admin or admin.');
  const policy: PolicyPatch = {};
  for (const [k, label] of LIMITS) {
    if (form[k] === undefined) continue;
    const next = parseLimit(form[k], label);
    if (next !== user[k]) policy[k] = next;
  }
  if (form.excluded_models !== undefined) {
    const models = parseModels(form.excluded_models);
    if (!sameSet(models, user.excludedModels)) policy.excludedModels = models;
  }
  return { ...(role !== undefined && role !== user.role ? { role: role as Role } : {}), policy };
}

export const usersRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const dir = deps.directory;
  const acceptances = new TermsAcceptances(deps.db.sql);
  const view = async (who: SignedIn, reach: Reach, extra: { notice?: Notice; focus?: number } = {}) => {
    const orgNames = reach.isAdmin ? new Map((await dir.listOrgs()).map((o) => [o.id, o.name])) : undefined;
    const users = (await visibleUsers(dir, reach)).map((u) => ({ ...u, manage: reach.manageUser(u), ...(orgNames ? { orgName: orgNames.get(u.orgId) ?? '' } : {}) }));
    const current = deps.terms?.current().version;
    const terms = current === undefined ? undefined : { current, accepted: await acceptances.latest(current) };
    return usersPage({ who, users, terms, roles: reach.isAdmin ? ROLES : ROLES.filter((r) => r !== 'admin'), ...extra });
  };
  return new Elysia()
    .get(
      '/ui/users',
      signedInPage(ctx, async ({ who, reach }, url) => {
        assertPeopleReach(reach);
        const saved = url.searchParams.get('done') === 'saved';
        return page(await view(who, reach, { notice: saved ? { kind: 'ok', text: 'Changes saved.' } : undefined }));
      }),
    )
    .post(
      '/ui/users/:id',
      signedInPost(ctx, async ({ who, reach, params }, form) => {
        assertPeopleReach(reach);
        // Out of reach is 404 before anything else, even for a malformed form.
        const user = await reach.user(pathId(params.id), 'manage');
        try {
          const change = changeFrom(user, form);
          if (change.role !== undefined || Object.keys(change.policy).length > 0) {
            await updateUser(dir, reach, user.id, change);
            deps.keys.refresh();
          }
          return redirect(`/ui/users?done=saved#user-${user.id}`);
        } catch (err) {
          if (!(err instanceof Refusal) || (err.kind !== 'forbidden' && err.kind !== 'invalid')) throw err;
          return page(await view(who, reach, { notice: { kind: 'error', text: err.message }, focus: user.id }), err.kind === 'forbidden' ? 403 : 400);
        }
      }),
    );
};
