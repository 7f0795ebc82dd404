/**
 * /ui/orgs ("Orgs", admins only): every org with its counts and policy, create, rename, and set limits,
 * pooled limits and exclusions, over domain/org-management.ts — the same rules as /admin/orgs. For anyone
 * but an admin the page does not exist (404); bad input and a taken name are shown on the page.
 */
import { Elysia } from 'elysia';
import type { Org, PolicyPatch, PoolPatch } from '../domain/directory';
import { createOrg, orgOverview, updateOrg, type OrgChange } from '../domain/org-management';
import { notFound, type Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import type { Notice } from './layout';
import { MAX_LIST_TEXT, MAX_ORG_NAME, orgsPage } from './pages/orgs';
import { page, redirect } from './respond';
import type { SignedIn } from './session';

/** Messages after a redirect, by a fixed code: nothing from the URL is ever shown as text. */
const DONE: Record<string, string> = { created: 'Org created.', saved: 'Changes saved.' };
/** The refusals a form can meet here, shown on the page with their status. */
const SHOWN: Partial<Record<Refusal['kind'], number>> = { invalid: 400, forbidden: 403, conflict: 409 };

const invalid = (message: string) => new Refusal('invalid', message);

const LIMITS = [
  ['rpm', 'rpm', 'Requests per minute'],
  ['itpm', 'itpm', 'Input tokens per minute'],
  ['otpm', 'otpm', 'Output tokens per minute'],
  ['pool_rpm', 'poolRpm', 'Pooled requests per minute'],
  ['pool_itpm', 'poolItpm', 'Pooled input tokens per minute'],
  ['pool_otpm', 'poolOtpm', 'Pooled output tokens per minute'],
] as const;
const LISTS = [
  ['excluded_models', 'excludedModels', 'Excluded models'],
  ['excluded_mcp_servers', 'excludedMcpServers', 'Excluded MCP servers'],
] as const;
const FLAGS = [
  ['merge_model_exclusions', 'mergeModelExclusions'],
  ['merge_mcp_exclusions', 'mergeMcpExclusions'],
] as const;

/** Only admins have the page; for everyone else it does not exist. */
function assertAdmin(reach: Reach): void {
  if (!reach.isAdmin) throw notFound('page');
}

function pathId(raw: string | undefined): number {
  const id = raw !== undefined && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(id)) throw notFound('org');
  return id;
}

function orgName(raw: string | undefined): string {
  const name = (raw ?? '').trim();
  if (name === '') throw invalid('An org needs a name.');
  if (name.length > MAX_ORG_NAME) throw invalid(`An org name may have at most ${MAX_ORG_NAME} characters.`);
  return name;
}

function parseLimit(raw: string, label: string): number | null {
  const value = raw.trim();
  if (value === '') return null;
  if (!/^[1-9]\d{0,15}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) throw invalid(`${label} must be a whole number of at least 1, or empty for none.`);
  return Number(value);
}

function parseList(raw: string, label: string): string[] {
  if (raw.length > MAX_LIST_TEXT) throw invalid(`${label} may have at most ${MAX_LIST_TEXT} characters.`);
  return [...new Set(raw.split(',').map((m) => m.trim()).filter((m) => m !== ''))];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Only what the form changes (a field left as shown is not sent), so saving an unchanged form changes nothing. */
function changeFrom(org: Org, form: Record<string, string>): OrgChange {
  const change: PolicyPatch & PoolPatch & { name?: string } = {};
  if (form.name !== undefined) {
    const name = orgName(form.name);
    if (name !== org.name) change.name = name;
  }
  for (const [field, key, label] of LIMITS) {
    if (form[field] === undefined) continue;
    const next = parseLimit(form[field], label);
    if (next !== org[key]) change[key] = next;
  }
  for (const [field, key, label] of LISTS) {
    if (form[field] === undefined) continue;
    const next = parseList(form[field], label);
    if (!sameSet(next, org[key])) change[key] = next;
  }
  for (const [field, key] of FLAGS) {
    const raw = form[field];
    if (raw === undefined) continue;
    if (raw !== '0' && raw !== '1') throw invalid('A checkbox was sent with a value the form never has.');
    if ((raw === '1') !== org[key]) change[key] = raw === '1';
  }
  return change;
}

export const orgsRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const dir = deps.directory;
  const view = async (who: SignedIn, reach: Reach, extra: { notice?: Notice; focus?: number; newName?: string } = {}) => orgsPage({ who, orgs: await orgOverview(dir, reach), ...extra });
  /** A refusal the person can act on, shown on the page; anything else goes on to the guard. */
  const refused = async (err: unknown, who: SignedIn, reach: Reach, extra: { focus?: number; newName?: string }) => {
    const status = err instanceof Refusal ? SHOWN[err.kind] : undefined;
    if (status === undefined) throw err;
    return page(await view(who, reach, { notice: { kind: 'error', text: (err as Refusal).message }, ...extra }), status);
  };
  return new Elysia()
    .get(
      '/ui/orgs',
      signedInPage(ctx, async ({ who, reach }, url) => {
        assertAdmin(reach);
        const done = url.searchParams.get('done') ?? '';
        return page(await view(who, reach, { notice: Object.hasOwn(DONE, done) ? { kind: 'ok', text: DONE[done]! } : undefined }));
      }),
    )
    .post(
      '/ui/orgs',
      signedInPost(ctx, async ({ who, reach }, form) => {
        assertAdmin(reach);
        try {
          const org = await createOrg(dir, reach, orgName(form.name));
          deps.keys.refresh();
          return redirect(`/ui/orgs?done=created#org-${org.id}`);
        } catch (err) {
          return await refused(err, who, reach, { newName: (form.name ?? '').slice(0, MAX_ORG_NAME) });
        }
      }),
    )
    .post(
      '/ui/orgs/:id',
      signedInPost(ctx, async ({ who, reach, params }, form) => {
        assertAdmin(reach);
        // Out of reach (here: no such org) is 404 before anything else, even for a malformed form.
        const id = pathId(params.id);
        await reach.org(id, 'manage');
        try {
          const change = changeFrom((await dir.org(id))!, form);
          if (Object.keys(change).length > 0) {
            await updateOrg(dir, reach, id, change);
            deps.keys.refresh();
          }
          return redirect(`/ui/orgs?done=saved#org-${id}`);
        } catch (err) {
          return await refused(err, who, reach, { focus: id });
        }
      }),
    );
};
