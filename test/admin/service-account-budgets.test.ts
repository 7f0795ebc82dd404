/**
 * Service accounts cannot multiply a team's budget: a team has at most AQUEDUCT_MAX_SERVICE_ACCOUNTS_PER_TEAM
 * of them, and pooled limits (pool_rpm/itpm/otpm on a team or an org) are shared by all their keys — exact
 * under concurrency, set only by the role above (team pools: org-admins or admins; org pools: admins).
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { InMemoryRateLimiter } from '../../src/domain/rate-limiter';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(
  `
model_list:
  - model_name: m
    litellm_params: { model: openai/up, api_base: "{{base:m}}" }
`,
  { settings: { maxServiceAccountsPerTeam: 3 } },
);
afterAll(() => f.close());
beforeEach(() => f.reset());
const dir = f.gw.directory;
let n = 0;

async function setup() {
  const org = await dir.createOrg(`pool-org-${++n}`);
  const boss = await dir.createUser(`boss${n}@pool.example`, org.id, 'org-admin');
  const bossKey = (await dir.tokens.createKey(boss.id)).key;
  const lead = await dir.createUser(`lead${n}@pool.example`, org.id); // a team admin with role user
  await dir.updateUser(lead.id, { rpm: 1, excludedModels: ['m2'] });
  const leadKey = (await dir.tokens.createKey(lead.id)).key;
  const team = await dir.createTeam(org.id, 'bots');
  await dir.setMember(team.id, lead.id, true);
  f.gw.keys.reload();
  return { org, boss, bossKey, lead, leadKey, team };
}
const post = (key: string, path: string, body: object) => f.gw.request('POST', path, { key, body });
const patch = (key: string, path: string, body: object) => f.gw.request('PATCH', path, { key, body });
const chat = (key: string) => f.gw.request('POST', '/v1/chat/completions', { key, body: { model: 'm', messages: [{ role: 'user', content: 'x' }] } });

/** Fires `perKey` concurrent calls with each key; returns how many passed (the rest must be 429s). */
async function concurrentPassing(keys: string[], perKey: number): Promise<number> {
  const all = await Promise.all(keys.flatMap((k) => Array.from({ length: perKey }, () => chat(k))));
  for (const r of all) {
    expect([200, 429]).toContain(r.status);
    await r.arrayBuffer();
  }
  return all.filter((r) => r.status === 200).length;
}

describe('service accounts and pooled limits', () => {
  test('a team has at most the configured number of service accounts', async () => {
    const { team, leadKey } = await setup();
    for (let i = 0; i < 3; i++) expect((await post(leadKey, `/admin/teams/${team.id}/service-accounts`, { name: `bot${i}` })).status).toBe(200);
    const refused = await post(leadKey, `/admin/teams/${team.id}/service-accounts`, { name: 'one too many' });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('permission_denied');
    expect(body.error.message).toContain('3 service accounts');
    expect((await post(f.gw.adminKey, `/admin/teams/${team.id}/service-accounts`, { name: 'admin bot' })).status).toBe(403);
    expect(await dir.listServiceAccounts(team.id)).toHaveLength(3);
  });

  test("a team pool is shared by all the team's keys: N concurrent calls against a pool of N admit exactly N", async () => {
    const { team, leadKey, bossKey } = await setup();
    expect((await patch(leadKey, `/admin/teams/${team.id}`, { pool_rpm: 100 })).status).toBe(403); // a team admin cannot
    expect((await patch(bossKey, `/admin/teams/${team.id}`, { pool_rpm: 5 })).status).toBe(200);
    expect((await patch(bossKey, `/admin/teams/${team.id}`, { pool_rpm: 6 })).status).toBe(403); // org-admins only tighten
    const bots = [];
    for (let i = 0; i < 3; i++) bots.push(((await (await post(leadKey, `/admin/teams/${team.id}/service-accounts`, { name: `b${i}` })).json()) as { key: string }).key);
    expect(await concurrentPassing(bots, 4)).toBe(5); // 12 calls over 3 keys without limits of their own
    const refused = await chat(bots[0]!);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('Team request limit (5/min)');
  });

  test('an org pool is shared by every key of the org; only admins set it', async () => {
    const { org, bossKey, leadKey, team } = await setup();
    expect((await patch(bossKey, `/admin/orgs/${org.id}`, { pool_rpm: 100 })).status).toBe(403);
    expect((await patch(f.gw.adminKey, `/admin/orgs/${org.id}`, { pool_rpm: 4 })).status).toBe(200);
    const bot = ((await (await post(leadKey, `/admin/teams/${team.id}/service-accounts`, { name: 'b' })).json()) as { key: string }).key;
    const user = await dir.createUser(`extra${n}@pool.example`, org.id);
    const userKey = (await dir.tokens.createKey(user.id)).key;
    f.gw.keys.reload();
    expect(await concurrentPassing([bossKey, userKey, bot], 3)).toBe(4);
    expect((await chat(userKey)).status).toBe(429);
  });

  test("tokens are charged to the pool: one key's output exhausts the others' budget", async () => {
    const { team, leadKey, bossKey } = await setup();
    expect((await patch(bossKey, `/admin/teams/${team.id}`, { pool_otpm: 1 })).status).toBe(200);
    const bots = [];
    for (let i = 0; i < 2; i++) bots.push(((await (await post(leadKey, `/admin/teams/${team.id}/service-accounts`, { name: `t${i}` })).json()) as { key: string }).key);
    const first = await chat(bots[0]!);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await chat(bots[1]!);
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain('Team output token limit (1/min)');
  });
});

describe('rate limiter pools (unit)', () => {
  test("a call passes only if the key's budget and every pool have room; a refusal counts nowhere", () => {
    const limiter = new InMemoryRateLimiter(() => 1_000_000);
    const none = { rpm: null, itpm: null, otpm: null };
    const pools = [{ id: 'team:1', label: 'Team', limits: { rpm: 3, itpm: null, otpm: null } }, { id: 'org:1', label: 'Org', limits: { rpm: 4, itpm: null, otpm: null } }];
    expect(limiter.admit(1, { ...none, rpm: 1 }, 1, pools).allowed).toBe(true);
    expect(limiter.admit(1, { ...none, rpm: 1 }, 1, pools).allowed).toBe(false); // the key's own budget
    expect(limiter.admit(2, none, 1, pools).allowed).toBe(true);
    expect(limiter.admit(3, none, 1, pools).allowed).toBe(true);
    const full = limiter.admit(4, none, 1, pools); // the team pool (3) is spent
    expect(full.allowed).toBe(false);
    expect(full.exceeded).toEqual(['Team request limit (3/min)']);
    expect(full.state.requests).toMatchObject({ limit: 3, remaining: 0 });
    // Another team of the same org still has the org pool's last request (the refusals counted nowhere).
    const otherTeam = [{ id: 'team:2', label: 'Team', limits: { rpm: 3, itpm: null, otpm: null } }, pools[1]!];
    expect(limiter.admit(5, none, 1, otherTeam).allowed).toBe(true);
    expect(limiter.admit(6, none, 1, otherTeam).exceeded).toEqual(['Org request limit (4/min)']);
    limiter.close();
  });
});
