/** "Your keys": create (the key shown once, with a copy button), rename, revoke; the per-user cap shown. */
import type { KeyInfo } from '../../domain/tokens';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import type { SignedIn } from '../session';

/** The lifetimes offered when creating a key (form value → ms); the form can send nothing else. */
export const EXPIRY_CHOICES: Record<string, { label: string; ms?: number }> = {
  never: { label: 'Never' },
  '7d': { label: '7 days', ms: 7 * 86_400_000 },
  '30d': { label: '30 days', ms: 30 * 86_400_000 },
  '90d': { label: '90 days', ms: 90 * 86_400_000 },
  '365d': { label: '1 year', ms: 365 * 86_400_000 },
};

export const MAX_NAME = 200;

export interface KeysView {
  who: SignedIn;
  keys: KeyInfo[];
  maxKeys: number;
  notice?: Notice;
  /** A key just created: its value, shown this once. */
  created?: { name: string; key: string };
  now?: number;
}

const when = (ms: number | null, none: string) => (ms === null ? none : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

function state(k: KeyInfo, now: number): 'live' | 'revoked' | 'expired' {
  if (k.revokedAt !== null) return 'revoked';
  if (k.expiresAt !== null && k.expiresAt <= now) return 'expired';
  return 'live';
}

const label = (k: KeyInfo) => (k.name === '' ? `Key ${k.preview}` : k.name);

function keyItem(v: KeysView, k: KeyInfo, now: number) {
  const s = state(k, now);
  const current = k.id === v.who.principal.keyId;
  return html`<li>
  <h3>${label(k)} <span class="badge">${s}</span>${current ? html` <span class="badge">signed in with this key</span>` : html``}</h3>
  <dl>
    <dt>Key</dt><dd><code>${k.preview}</code></dd>
    <dt>Created</dt><dd>${when(k.createdAt, '—')}</dd>
    <dt>Expires</dt><dd>${when(k.expiresAt, 'never')}</dd>
    <dt>Last used</dt><dd>${when(k.lastUsedAt, 'never')}</dd>
    ${k.revokedAt !== null ? html`<dt>Revoked</dt><dd>${when(k.revokedAt, '')}</dd>` : html``}
  </dl>
  ${
    s === 'live'
      ? html`<div class="actions">
    <form method="post" action="/ui/keys/${k.id}/rename">
      ${csrfField(v.who)}
      <div><label for="name-${k.id}">New name for ${label(k)}</label>
      <input id="name-${k.id}" name="name" maxlength="${MAX_NAME}" value="${k.name}"></div>
      <button type="submit" class="secondary">Rename</button>
    </form>
    <form method="post" action="/ui/keys/${k.id}/revoke">
      ${csrfField(v.who)}
      <button type="submit" class="danger" aria-label="Revoke ${label(k)} (${k.preview})">Revoke</button>
    </form>
  </div>`
      : html``
  }
</li>`;
}

export function keysPage(v: KeysView) {
  const now = v.now ?? Date.now();
  const live = v.keys.filter((k) => state(k, now) === 'live').length;
  const created = v.created
    ? html`<section class="card" aria-labelledby="new-key-title">
  <h2 id="new-key-title">Your new key${v.created.name ? html` “${v.created.name}”` : html``}</h2>
  <p><strong>Copy it now: it will not be shown again.</strong> Only a fingerprint of it is stored.</p>
  <label for="new-key">New API key</label>
  <div class="row">
    <input id="new-key" class="secret" readonly value="${v.created.key}">
    <button type="button" data-copy="new-key" aria-describedby="copy-status">Copy</button>
  </div>
  <p id="copy-status" class="muted" aria-live="polite"></p>
</section>`
    : html``;
  return layout({
    title: 'Keys',
    who: v.who,
    section: 'keys',
    body: html`<h1>Your keys</h1>
${notice(v.notice)}
${created}
<p>You hold <strong>${live}</strong> of the <strong>${v.maxKeys}</strong> live keys a person may have. Revoked and expired keys do not count.</p>
${
  v.keys.length === 0
    ? html`<p class="card">You have no keys yet. Create one below to call the API.</p>`
    : html`<ul class="keys" aria-label="Your keys">${v.keys.map((k) => keyItem(v, k, now))}</ul>`
}
<h2 id="create-title">Create a key</h2>
<form method="post" action="/ui/keys" class="card" aria-labelledby="create-title">
  ${csrfField(v.who)}
  <label for="create-name">Name</label>
  <input id="create-name" name="name" maxlength="${MAX_NAME}" placeholder="e.g. laptop, notebook, CI">
  <label for="create-expiry">Expires after</label>
  <select id="create-expiry" name="expires">
    ${Object.entries(EXPIRY_CHOICES).map(([value, c]) => html`<option value="${value}"${value === '90d' ? html` selected` : html``}>${c.label}</option>`)}
  </select>
  <p>${live >= v.maxKeys ? html`<span role="note">You are at the limit: revoke a key before creating another.</span>` : html``}</p>
  <button type="submit">Create key</button>
</form>`,
  });
}
