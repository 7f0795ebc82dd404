/** The usage report: figures checked against the calls made, grouping, buckets, scope by role. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ReportRow } from '../../src/domain/usage-report';
import { pruneUsage } from '../../src/domain/usage-report';
import { sqliteUsageStore } from '../../src/db/sqlite/usage-store';
import { relayFixture } from '../support/relay-fixture';

const f = relayFixture(`
model_list:
  - model_name: m1
    litellm_params: { model: openai/u1, api_base: "{{base:m}}" }
  - model_name: m2
    litellm_params: { model: openai/u2, api_base: "{{base:m}}" }
`);
const dir = f.gw.directory;
const org = await dir.createOrg('report-org');
const other = await dir.createOrg('report-other');
const team = await dir.createTeam(org.id, 'report-team');
const alice = await dir.createUser('alice@report.example', org.id);
const bob = await dir.createUser('bob@report.example', org.id);
const orgAdmin = await dir.createUser('boss@report.example', org.id, 'org-admin');
const carol = await dir.createUser('carol@other.example', other.id);
await dir.setMember(team.id, bob.id, false);
const keys = {
  alice: (await dir.tokens.createKey(alice.id, 'alice-key')).key,
  bob: (await dir.tokens.createKey(bob.id, 'bob-key')).key,
  boss: (await dir.tokens.createKey(orgAdmin.id, 'boss-key')).key,
  carol: (await dir.tokens.createKey(carol.id, 'carol-key')).key,
  bot: (await dir.createServiceAccount(team.id, 'bot', '', bob.id)).key,
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

/** An MCP call as src/routes/mcp.ts records it: model '', the server set, the tool for tools/call. */
async function mcpCall(key: string, server: string, tool: string | null, latencyMs: number, status = 200) {
  const p = (await f.gw.keys.authenticate(key))!;
  f.gw.usage.record({
    createdAt: Date.now(), requestId: `mcp-${Math.random()}`, keyId: p.keyId, userId: p.userId, orgId: p.orgId, teamId: p.teamId,
    model: '', deployment: null, endpoint: tool === null ? 'mcp.initialize' : 'mcp.tools/call', status, latencyMs, ttftMs: null,
    inputTokens: 0, outputTokens: 0, endUserId: '', stream: false, errorCode: null, mcpServer: server, mcpTool: tool,
  });
}
const SLOW = 60_000; // MCP latencies far above any model call's here: they would dominate a mixed p95

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
  // MCP calls by alice: 2 session starts and 3 tools/call on "files" (one failing), 1 tools/call on "web"
  await mcpCall(keys.alice, 'files', null, SLOW);
  await mcpCall(keys.alice, 'files', 'read', SLOW);
  await mcpCall(keys.alice, 'files', 'read', SLOW);
  await mcpCall(keys.alice, 'files', 'write', SLOW, 500);
  await mcpCall(keys.alice, 'web', null, SLOW);
  await mcpCall(keys.alice, 'web', 'read', SLOW);
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
      expect(r.calls).toBe('model');
      expect(r.p95_latency_ms).toBeLessThan(SLOW);
    }
  });

  test('a model report counts model calls only: no blank model row, latencies not skewed by MCP calls', async () => {
    const rows = await report(f.gw.adminKey, 'group_by=model');
    expect(rows.map((r) => r.group).sort()).toEqual(['m1', 'm2']);
    expect(rows.every((r) => r.calls === 'model')).toBe(true);
    // alice made 4 model calls and 6 MCP calls; by key, only the 4 count, and their latencies only
    const alice = (await report(f.gw.adminKey, 'group_by=key')).find((r) => r.label?.startsWith('alice-key'))!;
    expect(alice).toMatchObject({ calls: 'model', requests: 4 });
    expect(alice.p95_latency_ms).toBeLessThan(SLOW);
    expect(alice.avg_latency_ms).toBeLessThan(SLOW);
  });

  test('an MCP report counts MCP calls only: per server and per tool, no null row, tokens 0', async () => {
    const res = await f.gw.request('GET', '/admin/usage?group_by=mcp_server', { key: f.gw.adminKey });
    const body = (await res.json()) as { calls: string; data: ReportRow[] };
    expect(body.calls).toBe('mcp');
    expect(body.data.map((r) => [r.group, r.calls, r.requests, r.failures, r.input_tokens, r.output_tokens, r.p95_latency_ms])).toEqual([
      ['files', 'mcp', 4, 1, 0, 0, SLOW],
      ['web', 'mcp', 2, 0, 0, 0, SLOW],
    ]);
    const byTool = await report(f.gw.adminKey, 'group_by=mcp_tool');
    expect(byTool.map((r) => [r.group, r.requests])).toEqual([['files/read', 2], ['files/write', 1], ['web/read', 1]]);
    const byKey = await report(f.gw.adminKey, 'group_by=key&calls=mcp');
    expect(byKey.map((r) => [r.label?.split(' ')[0], r.calls, r.requests])).toEqual([['alice-key', 'mcp', 6]]);
  });

  test('calls must fit group_by: 400 naming calls', async () => {
    for (const q of ['group_by=mcp_server&calls=model', 'group_by=mcp_tool&calls=model', 'group_by=model&calls=mcp']) {
      const res = await f.gw.request('GET', `/admin/usage?${q}`);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'calls', code: 'invalid_value' });
      expect(String(error.message)).toContain('calls=');
    }
    const bad = await f.gw.request('GET', '/admin/usage?calls=everything');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('calls');
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

  test('buckets: bucket_start is Unix seconds, aligned to the bucket, like since and until', async () => {
    const res = await f.gw.request('GET', '/admin/usage?group_by=model&bucket=minute&since=1h', { key: f.gw.adminKey });
    const body = (await res.json()) as { since: number; until: number; data: ReportRow[] };
    const nowS = Date.now() / 1000;
    expect(Math.abs(body.until - nowS)).toBeLessThan(600);
    expect(Math.abs(body.since - (nowS - 3600))).toBeLessThan(600);
    expect(body.data.length).toBeGreaterThan(0);
    for (const r of body.data) {
      expect(r.bucket_start! % 60).toBe(0);
      expect(r.bucket_start!).toBeGreaterThanOrEqual(body.since - 60);
      expect(r.bucket_start!).toBeLessThan(body.until);
    }
    expect(body.data.reduce((n, r) => n + r.requests, 0)).toBe(7);
    // per day: the buckets are exactly the days (in seconds) of the model calls' created_at (milliseconds)
    const day = await report(f.gw.adminKey, 'group_by=model&bucket=day&since=2d');
    const created = f.gw.usageRows().filter((r) => r.mcp_server === null).map((r) => Math.floor(r.created_at / 86_400_000) * 86_400);
    expect([...new Set(day.map((r) => r.bucket_start))].sort()).toEqual([...new Set(created)].sort());
  });

  test('scope: an org-admin sees the org; a user their keys and their teams (not calls labelled with their email); a bot its own calls', async () => {
    const total = (rows: ReportRow[]) => rows.reduce((n, r) => n + r.requests, 0);
    expect(total(await report(keys.boss, 'group_by=org'))).toBe(6);
    expect(total(await report(keys.alice, 'group_by=key'))).toBe(4); // her own; carol's call labelled with her email stays carol's
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

  test('retention: rows older than the period are deleted', async () => {
    f.gw.db.sqlite.run("UPDATE usage SET created_at = created_at - 31 * 86400000 WHERE endpoint = 'chat' AND model = 'm2'");
    expect(await pruneUsage(sqliteUsageStore(f.gw.db.sqlite), 30 * 86_400_000)).toBe(2);
    expect(f.gw.db.sqlite.query('SELECT count(*) AS n FROM usage').get()).toEqual({ n: 5 + 6 });
  });
});
