/**
 * The terms of service: Markdown files rendered through the safe subset (../markdown.ts), other files as
 * plain text; the version in force, when this person accepted it, or the form to accept it.
 */
import type { TermsDocument } from '../../config/terms-file';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import { markdown } from '../markdown';
import type { SignedIn } from '../session';

export interface TermsView {
  who: SignedIn;
  doc: TermsDocument;
  /** When this person accepted this version (Unix ms), or undefined. */
  acceptedAt: number | undefined;
  notice?: Notice;
}

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function termsPage(v: TermsView) {
  const { doc } = v;
  const status =
    v.acceptedAt === undefined
      ? html`<form method="post" action="/ui/terms" class="card">
  ${csrfField(v.who)}
  <input type="hidden" name="version" value="${doc.version}">
  <p>Until you accept these terms, your keys are refused for model calls, files, batches and MCP. If you are an admin of a team, your acceptance also lets the team's service accounts work.</p>
  <button type="submit">I accept these terms</button>
</form>`
      : html`<p class="notice ok">You accepted this version on <time datetime="${new Date(v.acceptedAt).toISOString()}">${when(v.acceptedAt)}</time>.</p>`;
  return layout({
    title: 'Terms of service',
    who: v.who,
    section: 'terms',
    body: html`<h1>Terms of service</h1>
<p class="muted">Version <code>${doc.version}</code></p>
${notice(v.notice)}
<article class="card terms">${doc.format === 'markdown' ? markdown(doc.text) : html`<pre class="terms-text">${doc.text}</pre>`}</article>
${status}`,
  });
}
