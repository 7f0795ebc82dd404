/** Model and MCP-server exclusions: the org/team/user hierarchy, merge flags, global defaults and aliases. */
import { afterAll, describe, expect, test } from 'bun:test';
import { effectiveExclusions } from '../../src/domain/key-rows';
import { expectOpenAIError, testGateway } from '../support/app';

const gw = testGateway({
  routerYaml: `
model_list:
  - { model_name: a, litellm_params: { model: openai/a, api_base: "http://127.0.0.1:1/v1" }, model_info: { aliases: [alias-a] } }
  - { model_name: b, litellm_params: { model: openai/b, api_base: "http://127.0.0.1:1/v1" } }
  - { model_name: c, litellm_params: { model: openai/c, api_base: "http://127.0.0.1:1/v1" } }
  - { model_name: g, litellm_params: { model: openai/g, api_base: "http://127.0.0.1:1/v1" } }
`,
  settings: { excludedModels: ['g'], excludedMcpServers: ['global-mcp'] },
});
afterAll(() => gw.close());

const dir = gw.directory;
const org = await dir.createOrg('excl-org');
await dir.updateOrg(org.id, { excludedModels: ['b'], excludedMcpServers: ['org-mcp'] });
const team = await dir.createTeam(org.id, 'excl-team');
await dir.updateTeam(team.id, { excludedModels: ['c'] });

async function userKey(patch: Parameters<typeof dir.updateUser>[1] = {}) {
  const user = await dir.createUser(`x${Math.random().toString(36).slice(2)}@example.com`, org.id);
  await dir.updateUser(user.id, patch);
  const { key } = await dir.tokens.createKey(user.id);
  gw.keys.reload();
  return { key, user };
}

async function listed(key: string): Promise<string[]> {
  const body = (await (await gw.request('GET', '/v1/models', { key })).json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id);
}

describe('exclusions', () => {
  test('merge rules: user list + org list (if the user merges) + the global list, always', () => {
    expect(effectiveExclusions(['u'], true, ['o'], ['g']).sort()).toEqual(['g', 'o', 'u']);
    expect(effectiveExclusions(['u'], false, ['o'], ['g']).sort()).toEqual(['g', 'u']);
  });

  test('a personal key: user, org and global exclusions hide models from /models', async () => {
    const { key } = await userKey({ excludedModels: ['a'] });
    expect(await listed(key)).toEqual(['c']); // a (user), b (org), g (global) hidden; team lists do not apply
  });

  test('an excluded model — and its alias — behaves exactly like an unknown one', async () => {
    const { key } = await userKey({ excludedModels: ['alias-a'] }); // excluding an alias excludes its model
    for (const name of ['a', 'alias-a', 'b']) {
      const e = await expectOpenAIError(await gw.request('GET', `/v1/models/${name}`, { key }), 404);
      expect(e.code).toBe('model_not_found');
      const chat = await gw.request('POST', '/v1/chat/completions', { key, body: { model: name, messages: [{ role: 'user', content: 'x' }] } });
      const ce = await expectOpenAIError(chat, 404);
      expect(ce.message).toContain(name);
      const unknown = await gw.request('POST', '/v1/chat/completions', { key, body: { model: 'zzz', messages: [{ role: 'user', content: 'x' }] } });
      expect((await expectOpenAIError(unknown, 404)).code).toBe(ce.code);
    }
  });

  test('merge flags off: the user stops inheriting the org list; the global list binds every org and user all the same', async () => {
    const { key } = await userKey({ mergeModelExclusions: false });
    expect(await listed(key)).toEqual(['a', 'b', 'c']);
    const org2 = await dir.createOrg('no-global');
    await dir.updateOrg(org2.id, { mergeModelExclusions: false });
    const u = await dir.createUser('noglobal@example.com', org2.id);
    const { key: k2 } = await dir.tokens.createKey(u.id);
    gw.keys.reload();
    expect(await listed(k2)).toEqual(['a', 'b', 'c']);
  });

  test('a service-account key uses its team in the user’s place', async () => {
    const { user } = await userKey({ excludedModels: ['a'] });
    const sa = await dir.createServiceAccount(team.id, `bot-${Math.random()}`, '', user.id);
    gw.keys.reload();
    expect(await listed(sa.key)).toEqual(['a']); // team excludes c; org b; global g; the creator's a does not apply
  });

  test('a change takes effect on the next request', async () => {
    const { key, user } = await userKey();
    expect(await listed(key)).toEqual(['a', 'c']);
    const admin = gw.adminKey;
    const res = await gw.request('PATCH', `/admin/users/${user.id}`, { key: admin, body: { excluded_models: ['c'] } });
    expect(res.status).toBe(200);
    expect(await listed(key)).toEqual(['a']);
  });

  test('MCP-server exclusions follow the same hierarchy', async () => {
    const { key } = await userKey({ excludedMcpServers: ['user-mcp'] });
    const me = (await (await gw.request('GET', '/admin/me', { key })).json()) as { effective: { excluded_mcp_servers: string[] } };
    expect(me.effective.excluded_mcp_servers.sort()).toEqual(['global-mcp', 'org-mcp', 'user-mcp']);
  });
});
