/** The "Getting started" page: the real base URL, the models this person may use, the MCP URL to paste. */
import { afterEach, expect, test } from 'bun:test';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { testGateway, type TestGateway } from '../support/app';
import { ConsoleClient } from '../support/console-client';

const ROUTER = `model_list:
  - { model_name: team-chat, litellm_params: { model: openai/x, api_base: "http://127.0.0.1:9" }, model_info: { mode: chat, aliases: [main] } }
  - { model_name: embed-small, litellm_params: { model: openai/e, api_base: "http://127.0.0.1:9" }, model_info: { mode: embedding } }
  - { model_name: secret-model, litellm_params: { model: openai/s, api_base: "http://127.0.0.1:9" }, model_info: { mode: chat } }
`;
const MCP = parseMcpConfig(JSON.stringify({ mcpServers: { 'docs<b>': { url: 'http://127.0.0.1:9/mcp', description: 'Search the <docs>' } } }), {}).config;

let gw: TestGateway;
afterEach(() => gw.close());

async function startPage(settings: Record<string, unknown> = {}) {
  gw = testGateway({ routerYaml: ROUTER, mcp: MCP, settings });
  const user = await gw.tokens.ensureUser('ada@example.com');
  await gw.directory.updateUser(user.id, { excludedModels: ['secret-model'] });
  const key = (await gw.tokens.createKey(user.id, 'k')).key;
  gw.keys.reload();
  const browser = new ConsoleClient(gw);
  expect((await browser.signIn(key)).status).toBe(303);
  const res = await browser.get('/ui/start');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toStartWith("default-src 'self';");
  return res.text();
}

test('snippets use the origin the browser reached; the models list has aliases and endpoints, not excluded models', async () => {
  const page = await startPage();
  expect(page).toContain('base_url=&quot;http://localhost/v1&quot;');
  expect(page).toContain("baseURL: &#39;http://localhost/v1&#39;");
  expect(page).toContain('curl http://localhost/v1/chat/completions');
  expect(page).toContain('&quot;model&quot;: &quot;team-chat&quot;');
  expect(page).toContain('<td><code>team-chat</code></td><td><code>main</code></td><td><code>/v1/chat/completions</code><br><code>/v1/completions</code><br><code>/v1/responses</code></td>');
  expect(page).toContain('<td><code>embed-small</code></td><td><span class="muted">none</span></td><td><code>/v1/embeddings</code></td>');
  expect(page).not.toContain('secret-model');
});

test('with AQUEDUCT_PUBLIC_URL the snippets and MCP URLs use it; server names and descriptions are escaped', async () => {
  const page = await startPage({ publicUrl: 'https://ai.example.org' });
  expect(page).toContain('curl https://ai.example.org/v1/chat/completions');
  expect(page).toContain('value="https://ai.example.org/mcp-servers/docs%3Cb%3E/mcp"');
  expect(page).toContain('<h3>docs&lt;b&gt;</h3><p>Search the &lt;docs&gt;</p>');
  expect(page).not.toContain('<docs>');
});
