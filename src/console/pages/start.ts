/** "Getting started": the gateway's base URL, curl / Python / TypeScript snippets, the models and MCP servers this person may use. */
import { ENDPOINTS, pathsForMode } from '../../config/endpoints';
import type { McpConfig } from '../../config/mcp-config';
import type { RouterConfig } from '../../config/router-config';
import { html } from '../html';
import { layout } from '../layout';
import type { SignedIn } from '../session';

export interface StartView {
  who: SignedIn;
  /** AQUEDUCT_PUBLIC_URL, or the origin the browser reached us at. */
  baseUrl: string;
  router: RouterConfig;
  mcp: McpConfig;
}

const ALL_PATHS = Object.values(ENDPOINTS).map((e) => e.v1Path);

function snippets(base: string, model: string) {
  const curl = `export AQUEDUCT_KEY=sk-...   # a key from the Keys page
curl ${base}/v1/chat/completions \\
  -H "Authorization: Bearer $AQUEDUCT_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`;
  const python = `# pip install openai
import os
from openai import OpenAI

client = OpenAI(base_url="${base}/v1", api_key=os.environ["AQUEDUCT_KEY"])
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)`;
  const typescript = `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${base}/v1', apiKey: process.env.AQUEDUCT_KEY });
const reply = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(reply.choices[0].message.content);`;
  return { curl, python, typescript };
}

export function startPage(v: StartView) {
  const p = v.who.principal;
  const models = [...v.router.models.values()].filter((m) => !p.excludedModels.has(m.name));
  const servers = [...v.mcp.servers.values()].filter((s) => !p.excludedMcpServers.has(s.name));
  const chat = models.find((m) => m.mode === undefined || m.mode === 'chat');
  const code = chat ? snippets(v.baseUrl, chat.name) : undefined;
  return layout({
    title: 'Getting started',
    who: v.who,
    section: 'start',
    body: html`<h1>Getting started</h1>
<p>The gateway speaks the OpenAI API. Point any OpenAI SDK at <code>${v.baseUrl}/v1</code> and use a key from the <a href="/ui/keys">Keys page</a>.</p>
${
  code
    ? html`<h2>curl</h2><pre><code>${code.curl}</code></pre>
<h2>Python</h2><pre><code>${code.python}</code></pre>
<h2>TypeScript</h2><pre><code>${code.typescript}</code></pre>`
    : html`<p class="card">There is no chat model you may use yet, so there is no example to show. Ask your administrator.</p>`
}
<h2>Your models</h2>
${
  models.length === 0
    ? html`<p class="card">No models are available to you.</p>`
    : html`<div class="card scroll"><table>
<thead><tr><th scope="col">Model</th><th scope="col">Aliases</th><th scope="col">Endpoints</th></tr></thead>
<tbody>${models.map(
        (m) =>
          html`<tr><td><code>${m.name}</code></td><td>${m.aliases.length ? m.aliases.map((a, i) => html`${i ? ', ' : ''}<code>${a}</code>`) : html`<span class="muted">none</span>`}</td><td>${(m.mode ? pathsForMode(m.mode) : ALL_PATHS).map((path, i) => html`${i ? html`<br>` : ''}<code>${path}</code>`)}</td></tr>`,
      )}</tbody>
</table></div>`
}
<h2>MCP servers</h2>
${
  servers.length === 0
    ? html`<p class="card">No MCP servers are configured for you.</p>`
    : html`<ul class="keys">${servers.map(
        (s, i) => html`<li><h3>${s.name}</h3>${s.description ? html`<p>${s.description}</p>` : ''}
<label for="mcp-${i}">URL to paste into your MCP client (with your key as a Bearer token)</label>
<div class="row"><input id="mcp-${i}" class="secret" readonly value="${v.baseUrl}/mcp-servers/${encodeURIComponent(s.name)}/mcp">
<button type="button" data-copy="mcp-${i}" aria-describedby="mcp-${i}-status">Copy</button></div>
<p id="mcp-${i}-status" class="muted" aria-live="polite"></p></li>`,
      )}</ul>`
}`,
  });
}
