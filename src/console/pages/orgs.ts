/**
 * "Orgs" (admins only): every org with how many users, teams and live keys it has, its limits, pooled
 * limits and exclusions, a form per org (folded away until opened) to rename it and change them, and a form
 * to create one (the routes check again: a form shown is never the permission).
 */
import type { Org, OrgCounts } from '../../domain/directory';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import type { SignedIn } from '../session';

/** As in POST /admin/orgs. */
export const MAX_ORG_NAME = 200;
export const MAX_LIST_TEXT = 8000;

export interface OrgsView {
  who: SignedIn;
  orgs: (Org & OrgCounts)[];
  notice?: Notice;
  /** The org a refused change was about: the notice is shown next to its form. */
  focus?: number;
  /** What was typed into the create form, shown again after a refusal. */
  newName?: string;
}

const limitText = (n: number | null) => (n === null ? 'not set' : String(n));
const listText = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.join(', '));

function orgForm(v: OrgsView, o: Org) {
  const id = (name: string) => `o${o.id}-${name}`;
  const number = (name: string, label: string, value: number | null) => html`<div>
    <label for="${id(name)}">${label}</label>
    <input id="${id(name)}" name="${name}" type="number" min="1" step="1" inputmode="numeric" value="${value ?? ''}" placeholder="none">
  </div>`;
  // An unchecked box sends nothing: the hidden "0" before it says the form had the field.
  const flag = (name: string, label: string, on: boolean) => html`<div class="check">
    <input type="hidden" name="${name}" value="0">
    <input id="${id(name)}" name="${name}" type="checkbox" value="1"${on ? html` checked` : html``}>
    <label for="${id(name)}">${label}</label>
  </div>`;
  return html`<form method="post" action="/ui/orgs/${o.id}" class="user-form" aria-label="Change org ${o.name}">
  ${csrfField(v.who)}
  <label for="${id('name')}">Name</label>
  <input id="${id('name')}" name="name" required maxlength="${MAX_ORG_NAME}" value="${o.name}" autocomplete="off">
  <div class="row fields">
    ${number('rpm', 'Requests per minute', o.rpm)}
    ${number('itpm', 'Input tokens per minute', o.itpm)}
    ${number('otpm', 'Output tokens per minute', o.otpm)}
  </div>
  <div class="row fields">
    ${number('pool_rpm', 'Pooled requests per minute', o.poolRpm)}
    ${number('pool_itpm', 'Pooled input tokens per minute', o.poolItpm)}
    ${number('pool_otpm', 'Pooled output tokens per minute', o.poolOtpm)}
  </div>
  <label for="${id('excluded_models')}">Excluded models (comma-separated)</label>
  <input id="${id('excluded_models')}" name="excluded_models" maxlength="${MAX_LIST_TEXT}" value="${o.excludedModels.join(', ')}" autocomplete="off">
  ${flag('merge_model_exclusions', "Also exclude the gateway's default excluded models", o.mergeModelExclusions)}
  <label for="${id('excluded_mcp_servers')}">Excluded MCP servers (comma-separated)</label>
  <input id="${id('excluded_mcp_servers')}" name="excluded_mcp_servers" maxlength="${MAX_LIST_TEXT}" value="${o.excludedMcpServers.join(', ')}" autocomplete="off">
  ${flag('merge_mcp_exclusions', "Also exclude the gateway's default excluded MCP servers", o.mergeMcpExclusions)}
  <button type="submit">Save org ${o.name}</button>
</form>`;
}

function orgItem(v: OrgsView, o: OrgsView['orgs'][number]) {
  const yours = o.id === v.who.principal.orgId;
  return html`<li id="org-${o.id}">
  <h3>${o.name}${yours ? html` <span class="badge">yours</span>` : html``}</h3>
  ${v.focus === o.id ? notice(v.notice) : html``}
  <dl>
    <dt>Users</dt><dd>${o.users}</dd>
    <dt>Teams</dt><dd>${o.teams}</dd>
    <dt>Live keys</dt><dd>${o.keys}</dd>
    <dt>Limits</dt><dd>rpm ${limitText(o.rpm)} · itpm ${limitText(o.itpm)} · otpm ${limitText(o.otpm)}</dd>
    <dt>Pooled limits</dt><dd>rpm ${limitText(o.poolRpm)} · itpm ${limitText(o.poolItpm)} · otpm ${limitText(o.poolOtpm)}</dd>
    <dt>Excluded models</dt><dd>${listText(o.excludedModels)}${o.mergeModelExclusions ? html`` : html` <span class="badge">defaults not merged</span>`}</dd>
    <dt>Excluded MCP servers</dt><dd>${listText(o.excludedMcpServers)}${o.mergeMcpExclusions ? html`` : html` <span class="badge">defaults not merged</span>`}</dd>
  </dl>
  <details${v.focus === o.id ? html` open` : html``}><summary>Change ${o.name}</summary>${orgForm(v, o)}</details>
</li>`;
}

export function orgsPage(v: OrgsView) {
  return layout({
    title: 'Orgs',
    who: v.who,
    section: 'orgs',
    body: html`<h1>Orgs</h1>
<p>Every org of the gateway with its people, teams and live keys. An org's limits apply to each of its users and keys that have none of their own; its pooled limits are shared by all its keys together. An empty limit means none.</p>
${v.focus === undefined ? notice(v.notice) : html``}
<h2 id="create-org-title">Create an org</h2>
<form method="post" action="/ui/orgs" class="card" aria-labelledby="create-org-title">
  ${csrfField(v.who)}
  <label for="new-org-name">Name</label>
  <input id="new-org-name" name="name" required maxlength="${MAX_ORG_NAME}" value="${v.newName ?? ''}" autocomplete="off">
  <button type="submit">Create org</button>
</form>
<h2 id="orgs-title">All orgs</h2>
${
  v.orgs.length === 0
    ? html`<p class="card">No orgs.</p>`
    : html`<ul class="items" aria-labelledby="orgs-title">${v.orgs.map((o) => orgItem(v, o))}</ul>`
}`,
  });
}
