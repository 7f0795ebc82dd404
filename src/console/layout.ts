/** The frame of every console page: head (embedded stylesheet and script), header with navigation and sign-out. */
import { ASSET_URLS } from './assets';
import { html, type Html } from './html';
import { CSRF_FIELD, type SignedIn } from './session';

export type Section = 'usage' | 'keys' | 'teams' | 'users' | 'orgs' | 'deployments' | 'files' | 'start' | 'terms';

/**
 * `managers`: shown only to org admins and admins; `admins`: only to admins (either way the page itself is
 * 404 for everyone else).
 */
const NAV: { section: Section; href: string; label: string; managers?: true; admins?: true; terms?: true }[] = [
  { section: 'usage', href: '/ui/usage', label: 'Usage' },
  { section: 'keys', href: '/ui/keys', label: 'Keys' },
  { section: 'teams', href: '/ui/teams', label: 'Teams' },
  { section: 'users', href: '/ui/users', label: 'People', managers: true },
  { section: 'orgs', href: '/ui/orgs', label: 'Orgs', admins: true },
  { section: 'deployments', href: '/ui/deployments', label: 'Deployments', admins: true },
  { section: 'files', href: '/ui/files', label: 'Files & batches' },
  { section: 'start', href: '/ui/start', label: 'Getting started' },
  { section: 'terms', href: '/ui/terms', label: 'Terms', terms: true },
];

function shownTo(who: SignedIn, n: (typeof NAV)[number]): boolean {
  if (n.terms) return who.terms !== undefined;
  const role = who.principal.role;
  if (n.admins) return role === 'admin';
  if (n.managers) return role === 'admin' || role === 'org-admin';
  return true;
}

/** A hidden field with the session's CSRF token: every form that changes something includes it. */
export const csrfField = (who: SignedIn) => html`<input type="hidden" name="${CSRF_FIELD}" value="${who.session.csrf}">`;

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

export const notice = (n: Notice | undefined) =>
  n === undefined ? html`` : html`<div class="notice ${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">${n.text}</div>`;

/** On every page while the person has not accepted the terms of service in force. */
const termsBanner = html`<div class="notice error" role="alert"><strong>Terms of service not accepted.</strong> Until you accept the current terms, your keys are refused for model calls, files, batches and MCP (403 <code>tos_not_accepted</code>). <a href="/ui/terms">Read and accept the terms</a></div>`;

export function layout(opts: { title: string; who?: SignedIn; section?: Section; body: Html; head?: Html }): Html {
  const { who } = opts;
  const header = html`<header>
  <span class="brand">Aqueduct console</span>
  ${
    who === undefined
      ? html``
      : html`<nav aria-label="Console">${NAV.filter((n) => shownTo(who, n)).map((n) => html`<a href="${n.href}"${n.section === opts.section ? html` aria-current="page"` : html``}>${n.label}</a>`)}</nav>
  <span class="muted">${who.principal.email}</span>
  <form method="post" action="/ui/sign-out">${csrfField(who)}<button type="submit" class="secondary">Sign out</button></form>`
  }
</header>`;
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${opts.title} · Aqueduct</title>
<link rel="icon" href="${ASSET_URLS.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_URLS.css}">
<script src="${ASSET_URLS.js}" defer></script>
${opts.head ?? html``}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main">
${who?.terms?.pending && opts.section !== 'terms' ? termsBanner : html``}
${opts.body}
</main>
</body>
</html>`;
}
