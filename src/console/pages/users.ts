/**
 * "People": the users of the org(s) in reach, for org admins and admins, with each one's role, limits and
 * excluded models, and a form per user the caller may manage (the routes check again: a form shown is never
 * the permission).
 */
import type { User } from '../../domain/directory';
import type { TermsAcceptance } from '../../domain/terms';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import type { SignedIn } from '../session';

export const MAX_MODELS_TEXT = 8000;

export interface UsersView {
  who: SignedIn;
  users: (User & { orgName?: string; manage: boolean })[];
  /** Set when the gateway has terms of service: the version in force and each user's acceptance. */
  terms?: { current: string; accepted: ReadonlyMap<number, TermsAcceptance> };
  /** Roles the caller may give (admins: admin too). */
  roles: readonly string[];
  notice?: Notice;
  /** The user a refused change was about: the notice is repeated next to their form. */
  focus?: number;
}

const limitText = (n: number | null) => (n === null ? 'not set' : String(n));
const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Whether and when the user accepted the terms: the version in force, an earlier one, or none. */
function termsText(terms: NonNullable<UsersView['terms']>, userId: number) {
  const a = terms.accepted.get(userId);
  if (a === undefined) return html`<span class="badge">not accepted</span>`;
  const which = a.version === terms.current ? html`the current version` : html`<span class="badge">an earlier version</span>`;
  return html`${which} <code>${a.version}</code>, accepted <time datetime="${new Date(a.acceptedAt).toISOString()}">${when(a.acceptedAt)}</time>`;
}

function userForm(v: UsersView, u: User) {
  const id = (name: string) => `u${u.id}-${name}`;
  const limit = (name: 'rpm' | 'itpm' | 'otpm', label: string) => html`<div>
    <label for="${id(name)}">${label}</label>
    <input id="${id(name)}" name="${name}" type="number" min="1" step="1" inputmode="numeric" value="${u[name] ?? ''}" placeholder="none">
  </div>`;
  return html`<form method="post" action="/ui/users/${u.id}" class="user-form" aria-label="Change ${u.email}">
  ${csrfField(v.who)}
  <div class="row fields">
    <div>
      <label for="${id('role')}">Role</label>
      <select id="${id('role')}" name="role">${v.roles.map((r) => html`<option value="${r}"${r === u.role ? html` selected` : html``}>${r}</option>`)}</select>
    </div>
    ${limit('rpm', 'Requests per minute')}
    ${limit('itpm', 'Input tokens per minute')}
    ${limit('otpm', 'Output tokens per minute')}
  </div>
  <label for="${id('excluded')}">Excluded models (comma-separated)</label>
  <input id="${id('excluded')}" name="excluded_models" maxlength="${MAX_MODELS_TEXT}" value="${u.excludedModels.join(', ')}" autocomplete="off">
  <button type="submit">Save ${u.email}</button>
</form>`;
}

function userItem(v: UsersView, u: UsersView['users'][number]) {
  const you = u.id === v.who.principal.userId;
  return html`<li id="user-${u.id}">
  <h3>${u.email} <span class="badge">${u.role}</span>${you ? html` <span class="badge">you</span>` : html``}</h3>
  ${v.focus === u.id ? notice(v.notice) : html``}
  <dl>
    ${u.orgName === undefined ? html`` : html`<dt>Org</dt><dd>${u.orgName}</dd>`}
    <dt>Limits</dt><dd>rpm ${limitText(u.rpm)} · itpm ${limitText(u.itpm)} · otpm ${limitText(u.otpm)}</dd>
    <dt>Excluded models</dt><dd>${u.excludedModels.length === 0 ? 'none' : u.excludedModels.join(', ')}</dd>
    ${v.terms === undefined ? html`` : html`<dt>Terms of service</dt><dd>${termsText(v.terms, u.id)}</dd>`}
  </dl>
  ${
    u.manage
      ? userForm(v, u)
      : html`<p class="muted">${u.role === 'admin' ? 'Admins are managed by admins.' : 'You cannot change this user.'}</p>`
  }
</li>`;
}

export function usersPage(v: UsersView) {
  return layout({
    title: 'People',
    who: v.who,
    section: 'users',
    body: html`<h1>People</h1>
<p>Roles, rate limits and excluded models of the people in your reach. Below admin, limits may only be lowered and exclusions only added, and nobody but an admin changes their own. An empty limit means none of the user's own (the org's applies).</p>
${v.focus === undefined ? notice(v.notice) : html``}
${
  v.users.length === 0
    ? html`<p class="card">No users.</p>`
    : html`<ul class="items" aria-label="People">${v.users.map((u) => userItem(v, u))}</ul>`
}`,
  });
}
