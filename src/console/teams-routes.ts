/**
 * /ui/teams: the teams a person sees, and one team's members and service accounts, over
 * domain/team-management.ts — the same rules as /admin/teams, so the console can do exactly what the
 * person's key could do there: out of reach is 404, a visible thing one may not change is 403.
 */
import { Elysia } from 'elysia';
import type { Reach } from '../domain/reach';
import { Refusal } from '../domain/refusal';
import { createServiceAccount, deleteServiceAccount, listMembers, listServiceAccounts, removeMember, setMember, visibleTeams } from '../domain/team-management';
import { signedInPage, signedInPost, type ConsoleContext } from './guard';
import type { Notice } from './layout';
import { MAX_EMAIL, MAX_NAME, teamPage, teamsPage } from './pages/teams';
import { page, redirect } from './respond';
import type { SignedIn } from './session';

/** Messages after a redirect, by a fixed code: nothing from the URL is ever shown as text. */
const DONE: Record<string, string> = {
  added: 'Member added.',
  promoted: 'Now a team admin.',
  demoted: 'Now a plain member.',
  removed: 'Member removed from the team.',
  deleted: 'Service account deleted: its key no longer works.',
};

const invalid = (message: string) => new Refusal('invalid', message);

/** An id from the path; anything else is a thing that does not exist. */
function pathId(raw: string | undefined, what: string): number {
  const id = raw !== undefined && /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(id)) throw new Refusal('not_found', `No such ${what}.`);
  return id;
}

function field(form: Record<string, string>, name: string, label: string, max: number): string {
  const value = (form[name] ?? '').trim();
  if (value === '') throw invalid(`${label} is required.`);
  if (value.length > max) throw invalid(`${label} may have at most ${max} characters.`);
  return value;
}

/** Refusals a person can act on on the team page itself (a cap, a rule, a name taken, bad input). */
const shownOnPage = (err: unknown): err is Refusal => err instanceof Refusal && (err.kind === 'forbidden' || err.kind === 'invalid' || err.kind === 'conflict');

export const teamsRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  const dir = deps.directory;
  const view = async (who: SignedIn, reach: Reach, id: number, extra: { notice?: Notice; created?: { name: string; key: string } } = {}) => {
    const team = await reach.team(id); // 404 unless the person sees the team
    return teamPage({
      who,
      team,
      members: await listMembers(dir, reach, id),
      serviceAccounts: await listServiceAccounts(dir, reach, id),
      manage: await reach.manageTeam(team),
      appoint: reach.manageOrg(team.orgId),
      maxServiceAccounts: deps.settings.maxServiceAccountsPerTeam,
      ...extra,
    });
  };
  /** Runs a team change; refusals the person can act on are shown on the team page with their status. */
  const onTeamPage = async (who: SignedIn, reach: Reach, id: number, change: () => Promise<Response>): Promise<Response> => {
    // Those who may not manage the team get 404 before anything else, even for a malformed form.
    await reach.team(id, 'manage');
    try {
      return await change();
    } catch (err) {
      if (!shownOnPage(err)) throw err;
      return page(await view(who, reach, id, { notice: { kind: 'error', text: err.message } }), err.kind === 'forbidden' ? 403 : err.kind === 'conflict' ? 409 : 400);
    }
  };
  return new Elysia()
    .get(
      '/ui/teams',
      signedInPage(ctx, async ({ who, reach }) => {
        const role = async (teamId: number) => {
          const m = await dir.membership(teamId, who.principal.userId);
          if (m) return m.isAdmin ? 'team admin' : 'member';
          return reach.isAdmin ? 'admin' : 'org admin';
        };
        const teams = await Promise.all((await visibleTeams(dir, reach)).map(async (t) => ({ ...t, role: await role(t.id) })));
        return page(teamsPage({ who, teams }));
      }),
    )
    .get(
      '/ui/teams/:id',
      signedInPage(ctx, async ({ who, reach, params }, url) => {
        const done = DONE[url.searchParams.get('done') ?? ''];
        return page(await view(who, reach, pathId(params.id, 'team'), { notice: done ? { kind: 'ok', text: done } : undefined }));
      }),
    )
    .post(
      '/ui/teams/:id/members',
      signedInPost(ctx, ({ who, reach, params }, form) => {
        const id = pathId(params.id, 'team');
        return onTeamPage(who, reach, id, async () => {
          await setMember(dir, reach, id, { email: field(form, 'email', 'An email', MAX_EMAIL) });
          deps.keys.refresh();
          return redirect(`/ui/teams/${id}?done=added`);
        });
      }),
    )
    .post(
      '/ui/teams/:id/members/:userId/admin',
      signedInPost(ctx, ({ who, reach, params }, form) => {
        const id = pathId(params.id, 'team');
        return onTeamPage(who, reach, id, async () => {
          if (form.is_admin !== '1' && form.is_admin !== '0') throw invalid('Choose team admin or plain member.');
          const userId = pathId(params.userId, 'member');
          // Only an existing member's flag is changed here; adding goes through the email form.
          if (!(await listMembers(dir, reach, id)).some((m) => m.userId === userId)) throw new Refusal('not_found', 'No such member.');
          const set = await setMember(dir, reach, id, { userId }, form.is_admin === '1');
          deps.keys.refresh();
          return redirect(`/ui/teams/${id}?done=${set.isAdmin ? 'promoted' : 'demoted'}`);
        });
      }),
    )
    .post(
      '/ui/teams/:id/members/:userId/remove',
      signedInPost(ctx, ({ who, reach, params }) => {
        const id = pathId(params.id, 'team');
        return onTeamPage(who, reach, id, async () => {
          await removeMember(dir, reach, id, pathId(params.userId, 'member'));
          deps.keys.refresh();
          return redirect(`/ui/teams/${id}?done=removed`);
        });
      }),
    )
    .post(
      '/ui/teams/:id/service-accounts',
      signedInPost(ctx, ({ who, reach, params }, form) => {
        const id = pathId(params.id, 'team');
        return onTeamPage(who, reach, id, async () => {
          const created = await createServiceAccount(dir, reach, id, deps.settings.maxServiceAccountsPerTeam, { name: field(form, 'name', 'A name', MAX_NAME) });
          deps.keys.refresh();
          // Answered directly, not redirected: the key exists only in this one answer.
          const shown = { name: created.serviceAccount.name, key: created.key };
          return page(await view(who, reach, id, { created: shown, notice: { kind: 'ok', text: 'Service account created.' } }), 201);
        });
      }),
    )
    .post(
      '/ui/service-accounts/:id/delete',
      signedInPost(ctx, async ({ reach, params }) => {
        const sa = await deleteServiceAccount(dir, reach, pathId(params.id, 'service account'));
        deps.keys.refresh();
        return redirect(`/ui/teams/${sa.teamId}?done=deleted`);
      }),
    );
};
