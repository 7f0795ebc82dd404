/** The usage report: figures checked against the calls made, grouping, buckets, scope by role. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ReportRow } from '../../src/domain/usage-report';
import { pruneUsage } from '../../src/domain/usage-report';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: m1
    litellm_params: { model: openai/u1, api_base: "{{base:m}}" }
  - model_name: m2
    litellm_params: { model: openai/u2, api_base: "{{base:m}}" }
`);
const dir = f.gw.directory;
const org = dir.createOrg('report-org');
const other = dir.createOrg('report-other');
const team = dir.createTeam(org.id, 'report-team');
const alice = dir.createUser('alice@report.example', org.id);
const bob = dir.createUser('bob@report.example', org.id);
const orgAdmin = dir.createUser('boss@report.example', org.id, 'org-admin');
const carol = dir.createUser('carol@other.example', other.id);
dir.setMember(team.id, bob.id, false);
const keys = {
  alice: dir.tokens.createKey(alice.id, 'alice-key').key,
  bob: dir.tokens.createKey(bob.id, 'bob-key').key,
  boss: dir.tokens.createKey(orgAdmin.id, 'boss-key').key,
  carol: dir.tokens.createKey(carol.id, 'carol-key').key,
  bot: dir.createServiceAccount(team.id, 'bot', '', bob.id).key,
};
f.gw.keys.reload();

async function chat(key: string, model: string, content: string, extra: object = {}) {
  const res = await f.gw.request('POST', '/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content }], ...extra } });
  await res.arrayBuffer();
  return res.status;
}

async function report(key: string, query: string): Promise<ReportRow[]> {
  const res = await f.gw.request('GET', `/admin/usage?${query}`, { key });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: ReportRow[] }).data;
}

beforeAll(async () => {
  // alice: 3 × m1 ("a b" → 5 in / 3 out each), 1 × m2 for end user "emmy" (6 in / 4 out)
  for (let i = 0; i < 3; i++) expect(await chat(keys.alice, 'm1', 'a b')).toBe(200);
  expect(await chat(keys.alice, 'm2', 'a b c', { user_id: 'emmy' })).toBe(200);
  // the team's bot: 2 × m1, one of which fails upstream (500 ×3 → 502)
  expect(await chat(keys.bot, 'm1', 'z')).toBe(200);
  f.mock.script('m', { status: 500 }, { status: 500 }, { status: 500 });
  expect(await chat(keys.bot, 'm1', 'z')).toBe(502);
  // carol, in another org: 1 × m2, made for alice (user_id = her email)
  expect(await chat(keys.carol, 'm2', 'q', { user_id: 'alice@report.example' })).toBe(200);
  f.gw.usage.flush();
});
afterAll(() => f.close());

const pick = (rows: ReportRow[], group: unknown) => rows.find((r) => r.group === group)!;

describe('usage report', () => {
  test('by model: counts, failures and tokens match the calls made (admin sees every org)', async () => {
    const rows = await report(f.gw.adminKey, 'group_by=model&since=1h');
    expect(pick(rows, 'm1')).toMatchObject({ requests: 5, failures: 1, input_tokens: 3 * 5 + 4, output_tokens: 3 * 3 + 2 });
    expect(pick(rows, 'm2')).toMatchObject({ requests: 2, failures: 0, input_tokens: 6 + 4, output_tokens: 4 + 2 });
    for (const r of rows) {
      expect(r.avg_latency_ms).toBeGreaterThanOrEqual(0);
      expect(r.p95_latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  test('by key, user, team, org and user_id, with labels', async () => {
    const byKey = await report(f.gw.adminKey, 'group_by=key');
    expect(byKey.find((r) => r.label?.startsWith('alice-key'))!.requests).toBe(4);
    const byUser = await report(f.gw.adminKey, 'group_by=user');
    expect(byUser.find((r) => r.label === 'alice@report.example')!.requests).toBe(4);
    const byTeam = await report(f.gw.adminKey, 'group_by=team');
    expect(byTeam.find((r) => r.label === 'report-team')).toMatchObject({ requests: 2, failures: 1 });
    const byOrg = await report(f.gw.adminKey, 'group_by=org');
    expect(byOrg.find((r) => r.label === 'report-org')!.requests).toBe(6);
    expect(byOrg.find((r) => r.label === 'report-other')!.requests).toBe(1);
    const byEndUser = await report(f.gw.adminKey, 'group_by=user_id');
    expect(pick(byEndUser, 'emmy').requests).toBe(1);
  });

  test('buckets: per minute, the calls fall into the current minute', async () => {
    const rows = await report(f.gw.adminKey, 'group_by=model&bucket=minute');
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    expect(rows.every((r) => r.bucket_start !== null && r.bucket_start <= minute && r.bucket_start >= minute - 60_000)).toBe(true);
    expect(rows.reduce((n, r) => n + r.requests, 0)).toBe(7);
  });

  test('scope: an org-admin sees the org; a user their keys, their teams and calls made for them; a bot its own calls', async () => {
    const total = (rows: ReportRow[]) => rows.reduce((n, r) => n + r.requests, 0);
    expect(total(await report(keys.boss, 'group_by=org'))).toBe(6);
    expect(total(await report(keys.alice, 'group_by=key'))).toBe(5); // 4 own + carol's call made for her
    expect(total(await report(keys.bob, 'group_by=key'))).toBe(2); // the team's bot
    expect(total(await report(keys.bot, 'group_by=key'))).toBe(2);
    expect(total(await report(keys.carol, 'group_by=key'))).toBe(1);
  });

  test('time range and bad parameters', async () => {
    expect(await report(f.gw.adminKey, `since=${Math.floor(Date.now() / 1000) + 60}`)).toEqual([]);
    const bad = await f.gw.request('GET', '/admin/usage?since=yesterday-ish');
    expect(bad.status).toBe(400);
    const badGroup = await f.gw.request('GET', '/admin/usage?group_by=planet');
    expect(badGroup.status).toBe(400);
  });

  test('retention: rows older than the period are deleted', () => {
    f.gw.db.sqlite.run("UPDATE usage SET created_at = created_at - 31 * 86400000 WHERE endpoint = 'chat' AND model = 'm2'");
    expect(pruneUsage(f.gw.db.sqlite, 30 * 86_400_000)).toBe(2);
    expect(f.gw.db.sqlite.query('SELECT count(*) AS n FROM usage').get()).toEqual({ n: 5 });
  });
});
