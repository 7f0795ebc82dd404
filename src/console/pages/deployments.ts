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

function stateCell(d: DeploymentState) {
  return d.cooldownLeftMs > 0
    ? html`<span class="badge bad">cooling down</span> ${seconds(d.cooldownLeftMs)} s left`
    : html`<span class="badge good">healthy</span>`;
}

function row(d: DeploymentState) {
  return html`<tr id="deployment-${d.id}">
<td><code>${d.modelName}</code></td>
<td><code>${d.id}</code></td>
<td><code>${d.provider}/${d.upstreamModel}</code><br>${d.host === '' ? html`<span class="muted">built in</span>` : html`<code>${d.host}</code>`}</td>
<td>${stateCell(d)}</td>
<td>${d.inFlight}</td>
<td>${d.recentFailures}</td>
</tr>`;
}

export function deploymentsPage(v: DeploymentsView) {
  const cooling = v.deployments.filter((d) => d.cooldownLeftMs > 0).length;
  const s = v.settings;
  return layout({
    title: 'Deployments',
    who: v.who,
    section: 'deployments',
    body: html`<h1>Deployments</h1>
<p>How each deployment of the router is doing right now, as the gateway's model calls see it. A deployment that fails ${s.allowedFails} ${s.allowedFails === 1 ? 'time' : 'times'} within a minute sits out for ${seconds(s.cooldownMs)} s while the others take its calls; routing: <code>${s.routingStrategy}</code>, up to ${s.numRetries} retries. Batches run in their own workers, with health of their own. Reload the page for the latest.</p>
${
  v.deployments.length === 0
    ? html`<p class="card">No deployments are configured.</p>`
    : html`<p role="status"><strong>${v.deployments.length}</strong> ${v.deployments.length === 1 ? 'deployment' : 'deployments'}, <strong>${cooling}</strong> cooling down.</p>
<div class="card scroll"><table>
<thead><tr><th scope="col">Model</th><th scope="col">Deployment</th><th scope="col">Upstream</th><th scope="col">State</th><th scope="col">In flight</th><th scope="col">Failures (last minute)</th></tr></thead>
<tbody>${v.deployments.map(row)}</tbody>
</table></div>`
}`,
  });
}
