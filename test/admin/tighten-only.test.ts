/**
 * Below the admin, a role can only tighten limits and exclusions, never loosen them; nobody but an admin
 * edits their own; the global exclusions from settings bind every org (the attacks of issue 15, item 3).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

const gw = testGateway({
  routerYaml: `
model_list:
  - { model_name: m1, litellm_params: { model: openai/m1, api_base: "http://127.0.0.1:1/v1" } }
  - { model_name: m2, litellm_params: { model: openai/m2, api_base: "http://127.0.0.1:1/v1" } }
  - { model_name: g, litellm_params: { model: openai/g, api_base: "http://127.0.0.1:1/v1" } }
`,
  settings: { excludedModels: ['g'] },
});
afterAll(() => gw.close());
const dir = gw.directory;
let n = 0;

/** An org as an admin set it up (rpm 10, m2 excluded), with an org-admin and a plain user. */
async function setup() {
  const org = await dir.createOrg(`org-${++n}`);
  await dir.updateOrg(org.id, { rpm: 10, excludedModels: ['m2'] });
  const boss = await dir.createUser(`boss${n}@t.example`, org.id, 'org-admin');
  const bossKey = await dir.tokens.createKey(boss.id, 'boss');
  const user = await dir.createUser(`user${n}@t.example`, org.id);
  const userKey = await dir.tokens.createKey(user.id, 'user');
  const team = await dir.createTeam(org.id, 'team');
  await dir.updateTeam(team.id, { excludedModels: ['m1'] });
  gw.keys.reload();
  return { org, boss, bossKey, user, userKey, team };
}
const patch = async (key: string, path: string, body: object) => {
  const res = await gw.request('PATCH', path, { key, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
};
const models = async (key: string) => ((await (await gw.request('GET', '/v1/models', { key })).json()) as { data: { id: string }[] }).data.map((m) => m.id);

describe('org-admins only tighten', () => {
  test("an org-admin cannot unset the org's limit or drop its exclusions", async () => {
    const { org, bossKey } = await setup();
    const res = await patch(bossKey.key, `/admin/orgs/${org.id}`, { rpm: null, excluded_models: [] });
    expect(res.status).toBe(403);
    expect(res.body.error!.code).toBe('permission_denied');
    expect(res.body.error!.message).toContain('rpm');
    expect(res.body.error!.message).toContain('excluded_models');
    expect(await dir.org(org.id)).toMatchObject({ rpm: 10, excludedModels: ['m2'] });
    expect((await patch(bossKey.key, `/admin/orgs/${org.id}`, { rpm: 11 })).status).toBe(403);
    // Tightening is fine.
    const tighter = await patch(bossKey.key, `/admin/orgs/${org.id}`, { rpm: 5, excluded_models: ['m2', 'm1'] });
    expect(tighter.status).toBe(200);
    expect(await dir.org(org.id)).toMatchObject({ rpm: 5, excludedModels: ['m2', 'm1'] });
  });

  test('an org-admin cannot edit their own limits or exclusions', async () => {
    const { boss, bossKey } = await setup();
    const res = await patch(bossKey.key, `/admin/users/${boss.id}`, { rpm: 1_000_000, merge_model_exclusions: false });
    expect(res.status).toBe(403);
    expect((await patch(bossKey.key, `/admin/users/${boss.id}`, { rpm: 1 })).status).toBe(403); // not even tighter
    expect((await patch(bossKey.key, `/admin/keys/${bossKey.id}`, { rpm: 1_000_000 })).status).toBe(403);
    expect(await dir.user(boss.id)).toMatchObject({ rpm: null, mergeModelExclusions: true });
    expect((await gw.keys.authenticate(bossKey.key))!.limits.rpm).toBe(10);
  });

  test("an org-admin cannot raise a user or key above what is in force, nor turn merging off", async () => {
    const { user, userKey, bossKey } = await setup();
    expect((await patch(bossKey.key, `/admin/users/${user.id}`, { rpm: 1_000_000 })).status).toBe(403);
    expect((await patch(bossKey.key, `/admin/users/${user.id}`, { merge_model_exclusions: false })).status).toBe(403);
    expect((await patch(bossKey.key, `/admin/users/${user.id}`, { rpm: 4 })).status).toBe(200);
    expect((await patch(bossKey.key, `/admin/users/${user.id}`, { rpm: 6 })).status).toBe(403);
    expect((await patch(bossKey.key, `/admin/users/${user.id}`, { rpm: null })).status).toBe(403); // null would let the org's 10 apply
    expect((await patch(bossKey.key, `/admin/keys/${userKey.id}`, { rpm: 5 })).status).toBe(403);
    expect((await patch(bossKey.key, `/admin/keys/${userKey.id}`, { rpm: 3 })).status).toBe(200);
    expect((await gw.keys.authenticate(userKey.key))!.limits.rpm).toBe(3);
    expect(await models(userKey.key)).toEqual(['m1']);
  });

  test("an org-admin cannot drop a team's exclusions; an admin can loosen anything", async () => {
    const { team, bossKey, user } = await setup();
    expect((await patch(bossKey.key, `/admin/teams/${team.id}`, { excluded_models: [] })).status).toBe(403);
    expect((await patch(bossKey.key, `/admin/teams/${team.id}`, { rpm: 20 })).status).toBe(403); // above the org's 10
    expect((await patch(bossKey.key, `/admin/teams/${team.id}`, { excluded_models: ['m1', 'm2'], rpm: 10 })).status).toBe(200);
    expect((await patch(gw.adminKey, `/admin/teams/${team.id}`, { excluded_models: [], rpm: null })).status).toBe(200);
    expect((await patch(gw.adminKey, `/admin/users/${user.id}`, { rpm: 1_000_000, merge_model_exclusions: false })).status).toBe(200);
  });

  test('the global exclusions bind every org: no merge flag lifts them', async () => {
    const { org, bossKey, user, userKey } = await setup();
    expect((await patch(bossKey.key, `/admin/orgs/${org.id}`, { merge_model_exclusions: false })).status).toBe(403);
    // Even where an admin turns merging off everywhere, the operator's global list still applies.
    expect((await patch(gw.adminKey, `/admin/orgs/${org.id}`, { merge_model_exclusions: false })).status).toBe(200);
    expect((await patch(gw.adminKey, `/admin/users/${user.id}`, { merge_model_exclusions: false })).status).toBe(200);
    expect(await models(userKey.key)).toEqual(['m1', 'm2']);
    expect(await models(bossKey.key)).toEqual(['m1']);
    expect((await gw.request('GET', '/v1/models/g', { key: userKey.key })).status).toBe(404);
  });
});
