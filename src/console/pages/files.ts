/** "Files & batches": the person's files (download, delete) and batches (progress, result files, cancel). */
import { cancellable } from '../../calls/batch-cancel';
import type { BatchRow } from '../../domain/batches/batch-store';
import type { StoredFile } from '../../domain/files/file-store';
import { html } from '../html';
import { csrfField, layout, notice, type Notice } from '../layout';
import type { SignedIn } from '../session';

export interface FilesView {
  who: SignedIn;
  baseUrl: string;
  files: { data: StoredFile[]; hasMore: boolean };
  batches: { data: BatchRow[]; hasMore: boolean };
  notice?: Notice;
}

const when = (ms: number | null, none: string) => (ms === null ? none : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

/** Bytes in the unit a person reads at a glance (the exact count is in the title). */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

/** A download link; `name` is what a screen reader announces when the visible text alone is ambiguous. */
const download = (id: string, label: string, name?: string) =>
  html`<a href="/ui/files/${id}/content" download${name === undefined ? html`` : html` aria-label="${name}"`}>${label}</a>`;

function fileItem(v: FilesView, f: StoredFile) {
  return html`<li>
  <h3>${f.filename} <span class="badge">${f.purpose}</span></h3>
  <dl>
    <dt>Id</dt><dd><code>${f.id}</code></dd>
    <dt>Size</dt><dd title="${f.bytes} bytes">${size(f.bytes)}</dd>
    <dt>Created</dt><dd>${when(f.createdAt, '—')}</dd>
    <dt>Expires</dt><dd>${when(f.expiresAt, 'never')}</dd>
  </dl>
  <div class="actions">
    ${download(f.id, 'Download', `Download ${f.filename} (${f.id})`)}
    <form method="post" action="/ui/files/${f.id}/delete">
      ${csrfField(v.who)}
      <button type="submit" class="danger" aria-label="Delete ${f.filename} (${f.id})">Delete</button>
    </form>
  </div>
</li>`;
}

function batchItem(v: FilesView, b: BatchRow) {
  return html`<li>
  <h3><code>${b.id}</code> <span class="badge">${b.status}</span></h3>
  <dl>
    <dt>Model</dt><dd>${b.model} · ${b.endpoint}</dd>
    <dt>Progress</dt><dd>${b.completed} completed, ${b.failed} failed, of ${b.total}</dd>
    <dt>Created</dt><dd>${when(b.createdAt, '—')}</dd>
    <dt>Input</dt><dd><code>${b.inputFileId}</code></dd>
    ${b.outputFileId !== null ? html`<dt>Output</dt><dd>${download(b.outputFileId, `Download output of ${b.id}`)}</dd>` : html``}
    ${b.errorFileId !== null ? html`<dt>Errors</dt><dd>${download(b.errorFileId, `Download errors of ${b.id}`)}</dd>` : html``}
  </dl>
  ${
    cancellable(b.status)
      ? html`<div class="actions"><form method="post" action="/ui/batches/${b.id}/cancel">
      ${csrfField(v.who)}
      <button type="submit" class="danger" aria-label="Cancel batch ${b.id}">Cancel</button>
    </form></div>`
      : html``
  }
</li>`;
}

const more = (shown: number, what: string) => html`<p class="muted">Showing the newest ${shown} ${what}; the API lists them all.</p>`;

export function filesPage(v: FilesView) {
  const { files, batches } = v;
  return layout({
    title: 'Files & batches',
    who: v.who,
    section: 'files',
    body: html`<h1>Files &amp; batches</h1>
${notice(v.notice)}
<h2 id="files-title">Your files</h2>
${
  files.data.length === 0
    ? html`<div class="card"><p>No files yet — upload one with the API:</p>
<pre><code>curl ${v.baseUrl}/v1/files -H "Authorization: Bearer $AQUEDUCT_KEY" -F purpose=batch -F file=@requests.jsonl</code></pre></div>`
    : html`<ul class="items" aria-labelledby="files-title">${files.data.map((f) => fileItem(v, f))}</ul>${files.hasMore ? more(files.data.length, 'files') : html``}`
}
<h2 id="batches-title">Your batches</h2>
${
  batches.data.length === 0
    ? html`<div class="card"><p>No batches yet — start one from an uploaded batch file:</p>
<pre><code>curl ${v.baseUrl}/v1/batches -H "Authorization: Bearer $AQUEDUCT_KEY" -H "Content-Type: application/json" \\
  -d '{"input_file_id": "file-…", "endpoint": "/v1/chat/completions", "completion_window": "24h"}'</code></pre></div>`
    : html`<ul class="items" aria-labelledby="batches-title">${batches.data.map((b) => batchItem(v, b))}</ul>${batches.hasMore ? more(batches.data.length, 'batches') : html``}`
}`,
  });
}
