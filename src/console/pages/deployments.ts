/**
 * "Deployments" (admins only): the router's live view of every deployment — where it goes (provider and
 * host, never its key or headers), whether it takes calls or is cooling down and for how long, its calls in
 * flight and its failures within the last minute. Read-only; reloading the page shows the latest.
 */
import type { RouterSettings } from '../../config/router-config';
import type { DeploymentState } from '../../calls/model-calls';
import { html } from '../html';
import { layout } from '../layout';
import type { SignedIn } from '../session';

export interface DeploymentsView {
  who: SignedIn;
  deployments: DeploymentState[];
  settings: RouterSettings;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

function item(d: DeploymentState) {
  const cooling = d.cooldownLeftMs > 0;
  return html`<li id="deployment-${d.id}">
  <h3><code>${d.id}</code> ${cooling ? html`<span class="badge bad">cooling down</span>` : html`<span class="badge">healthy</span>`}</h3>
  <dl>
    <dt>Model</dt><dd><code>${d.modelName}</code></dd>
    <dt>Upstream</dt><dd><code>${d.provider}/${d.upstreamModel}</code> ${d.host === '' ? html`<span class="muted">(built in)</span>` : html`at <code>${d.host}</code>`}</dd>
    <dt>State</dt><dd>${cooling ? `cooling down, ${seconds(d.cooldownLeftMs)} s left` : 'healthy'}</dd>
    <dt>In flight</dt><dd>${d.inFlight}</dd>
    <dt>Recent failures</dt><dd>${d.recentFailures}</dd>
  </dl>
</li>`;
}

export function deploymentsPage(v: DeploymentsView) {
  const cooling = v.deployments.filter((d) => d.cooldownLeftMs > 0).length;
  const s = v.settings;
  return layout({
    title: 'Deployments',
    who: v.who,
    section: 'deployments',
    body: html`<h1>Deployments</h1>
<p>How each deployment of the router is doing right now, as the gateway's model calls see it. A deployment that fails ${s.allowedFails} ${s.allowedFails === 1 ? 'time' : 'times'} within a minute sits out for ${seconds(s.cooldownMs)} s while the others take its calls; routing: <code>${s.routingStrategy}</code>, up to ${s.numRetries} retries. Batches run in their own workers, with health of their own. Recent failures are those of the last minute. Reload the page for the latest.</p>
${
  v.deployments.length === 0
    ? html`<p class="card">No deployments are configured.</p>`
    : html`<p role="status"><strong>${v.deployments.length}</strong> ${v.deployments.length === 1 ? 'deployment' : 'deployments'}, <strong>${cooling}</strong> cooling down.</p>
<ul class="items" aria-label="Deployments">${v.deployments.map(item)}</ul>`
}`,
  });
}
