/**
 * "Teams": the teams a person sees, and one team's members and service accounts. Management forms appear
 * only for those who may use them (the routes check again: a form shown is never the permission).
 */
import type { Member, ServiceAccount, Team } from '../../domain/directory';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import type { SignedIn } from '../session';

export const MAX_NAME = 200;
export const MAX_EMAIL = 320;

export interface TeamsListView {
  who: SignedIn;
  teams: (Team & { role: string })[];
  notice?: Notice;
}

export function teamsPage(v: TeamsListView) {
  return layout({
    title: 'Teams',
    who: v.who,
    section: 'teams',
    body: html`<h1>Teams</h1>
${notice(v.notice)}
${
  v.teams.length === 0
    ? html`<p class="card">You are not in any team yet. An org admin or a team admin can add you to one.</p>`
    : html`<ul class="items" aria-label="Teams">${v.teams.map(
        (t) => html`<li>
  <h3><a href="/ui/teams/${t.id}">${t.name}</a> <span class="badge">${t.role}</span></h3>
  ${t.description === '' ? html`` : html`<p>${t.description}</p>`}
</li>`,
      )}</ul>`
}`,
  });
}

export interface TeamView {
  who: SignedIn;
  team: Team;
  members: Member[];
  serviceAccounts: (ServiceAccount & { keyPreview: string | null })[];
  /** May add and remove members and manage service accounts (team admins, org admins, admins). */
  manage: boolean;
  /** May appoint, dismiss and remove team admins (org admins of the team's org, admins). */
  appoint: boolean;
  maxServiceAccounts: number;
  notice?: Notice;
  /** A service account just created: its key, shown this once. */
  created?: { name: string; key: string };
}

function memberItem(v: TeamView, m: Member) {
  const post = (path: string, body: ReturnType<typeof html>) =>
    html`<form method="post" action="/ui/teams/${v.team.id}/members/${m.userId}/${path}">${csrfField(v.who)}${body}</form>`;
  const flag = v.appoint
    ? post('admin', m.isAdmin
      ? html`<input type="hidden" name="is_admin" value="0"><button type="submit" class="secondary" aria-label="Make ${m.email} a plain member">Make member</button>`
      : html`<input type="hidden" name="is_admin" value="1"><button type="submit" class="secondary" aria-label="Make ${m.email} a team admin">Make team admin</button>`)
    : html``;
  // Team admins are removed only by those who appoint them (the rule in domain/team-management.ts).
  const remove = v.manage && (!m.isAdmin || v.appoint)
    ? post('remove', html`<button type="submit" class="danger" aria-label="Remove ${m.email} from ${v.team.name}">Remove</button>`)
    : html``;
  return html`<li>
  <h3>${m.email}${m.isAdmin ? html` <span class="badge">team admin</span>` : html``}${m.userId === v.who.principal.userId ? html` <span class="badge">you</span>` : html``}</h3>
  ${v.manage ? html`<div class="actions">${flag}${remove}</div>` : html``}
</li>`;
}

function serviceAccountItem(v: TeamView, sa: ServiceAccount & { keyPreview: string | null }) {
  return html`<li>
  <h3>${sa.name}</h3>
  <dl>
    <dt>Key</dt><dd>${sa.keyPreview === null ? 'none' : html`<code>${sa.keyPreview}</code>`}</dd>
    ${sa.description === '' ? html`` : html`<dt>About</dt><dd>${sa.description}</dd>`}
  </dl>
  ${
    v.manage
      ? html`<div class="actions"><form method="post" action="/ui/service-accounts/${sa.id}/delete">
      ${csrfField(v.who)}
      <button type="submit" class="danger" aria-label="Delete service account ${sa.name} and revoke its key">Delete</button>
    </form></div>`
      : html``
  }
</li>`;
}

function createdKey(c: { name: string; key: string }) {
  return html`<section class="card" aria-labelledby="new-key-title">
  <h2 id="new-key-title">Key of the new service account “${c.name}”</h2>
  <p><strong>Copy it now: it will not be shown again.</strong> Only a fingerprint of it is stored.</p>
  <label for="new-key">Service-account API key</label>
  <div class="row">
    <input id="new-key" class="secret" readonly value="${c.key}">
    <button type="button" data-copy="new-key" aria-describedby="copy-status">Copy</button>
  </div>
  <p id="copy-status" class="muted" aria-live="polite"></p>
</section>`;
}

function manageForms(v: TeamView) {
  const full = v.serviceAccounts.length >= v.maxServiceAccounts;
  return html`<h2 id="add-member-title">Add a member</h2>
<form method="post" action="/ui/teams/${v.team.id}/members" class="card" aria-labelledby="add-member-title">
  ${csrfField(v.who)}
  <label for="add-email">Email of a person in this team's org</label>
  <input id="add-email" name="email" type="email" required maxlength="${MAX_EMAIL}" autocomplete="off">
  <button type="submit">Add member</button>
</form>
<h2 id="create-sa-title">Create a service account</h2>
<form method="post" action="/ui/teams/${v.team.id}/service-accounts" class="card" aria-labelledby="create-sa-title">
  ${csrfField(v.who)}
  <label for="sa-name">Name</label>
  <input id="sa-name" name="name" required maxlength="${MAX_NAME}" placeholder="e.g. nightly-report, ci">
  <p>${full ? html`<span role="note">The team is at its limit: delete a service account before creating another.</span>` : html``}</p>
  <button type="submit">Create service account</button>
</form>`;
}

export function teamPage(v: TeamView) {
  const { team } = v;
  return layout({
    title: `Team ${team.name}`,
    who: v.who,
    section: 'teams',
    body: html`<p><a href="/ui/teams">← All teams</a></p>
<h1>Team ${team.name}</h1>
${team.description === '' ? html`` : html`<p>${team.description}</p>`}
${notice(v.notice)}
${v.created ? createdKey(v.created) : html``}
${v.manage ? html`` : html`<p class="muted">You are a member of this team: you can see it, and a team admin manages it.</p>`}
<h2 id="members-title">Members</h2>
${
  v.members.length === 0
    ? html`<p class="card">No members yet.${v.manage ? html` Add one below by email.` : html``}</p>`
    : html`<ul class="items" aria-labelledby="members-title">${v.members.map((m) => memberItem(v, m))}</ul>`
}
<h2 id="sa-title">Service accounts</h2>
<p>A service account is a key of the team's own, for programs rather than people. This team has <strong>${v.serviceAccounts.length}</strong> of at most <strong>${v.maxServiceAccounts}</strong>.</p>
${
  v.serviceAccounts.length === 0
    ? html`<p class="card">No service accounts yet.${v.manage ? html` Create one below.` : html``}</p>`
    : html`<ul class="items" aria-labelledby="sa-title">${v.serviceAccounts.map((sa) => serviceAccountItem(v, sa))}</ul>`
}
${v.manage ? manageForms(v) : html``}`,
  });
}
