/**
 * The usage dashboard on rollups, at 10 million usage rows.
 *
 *   bun bench/usage-dashboard.ts [--rows 10000000] [--runs 7] [--keep]
 *
 * 1. Writer cost: insertUsageRows (the writer thread's call) for 100,000 rows in flush-sized batches of
 *    2,000, with the rollups (as shipped) and with the raw insert only (as before them).
 * 2. Loads --rows usage rows spread over 30 days into a temporary database through the same
 *    insertUsageRows path (rows and rollups in large transactions), with skewed traffic: 30 orgs,
 *    120 teams, 2,000 users, 2,400 keys (Zipf), 24 models, end-user user_ids on service-account calls,
 *    5 % MCP calls, 3 % failures.
 * 3. Times the console's dashboard query (dashboardQuery → usageSummary) for the last 30 d, 7 d, 24 h and
 *    1 h as an admin (whole gateway), an org admin (the busiest org), a team and a user (with a team):
 *    median and max of --runs runs after one warm-up.
 * 4. Starts the compiled binary (make build first) on that data directory, signs in to the console with the
 *    admin key it creates, and times GET /ui/usage end to end for the whole gateway and the busiest org
 *    (--no-page skips this).
 *
 * The first design (one rollup keyed by key × model × end-user user_id, per minute and hour) took 7.8 s for
 * the admin's 30 days: end-user ids made its rows ~1 per 4.5 raw rows. Results of this one: bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/connection';
import { migrate } from '../src/db/migrate';
import { Directory } from '../src/domain/directory';
import type { UsageScope } from '../src/domain/usage-report';
import { insertUsageRows, type UsageRecord } from '../src/domain/usage-rows';
import { FAMILIES } from '../src/domain/usage-rollups';
import { dashboardQuery, usageSummary } from '../src/domain/usage-summary';
import { sqliteUsageStore } from '../src/db/sqlite/usage-store';

const ROLLUP_TABLES = Object.values(FAMILIES).flatMap((f) => f.levels.map((l) => l.table));

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('rows', 10_000_000);
const RUNS = arg('runs', 7);
const DAY = 86_400_000;
const NOW = Date.now();

// A deterministic generator (mulberry32), so runs compare.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const ORGS = 30, TEAMS = 120, USERS = 2_000, SERVICE_ACCOUNTS = 400, MODELS = 24;
interface Key { keyId: number; userId: number; orgId: number; teamId: number | null; models: number[] }
const keys: Key[] = [];
for (let u = 1; u <= USERS; u++) keys.push({ keyId: u, userId: u, orgId: 1 + (u % ORGS), teamId: null, models: [] });
for (let s = 1; s <= SERVICE_ACCOUNTS; s++) {
  const teamId = 1 + (s % TEAMS);
  keys.push({ keyId: USERS + s, userId: 1 + ((teamId * 7) % USERS), orgId: 1 + (teamId % ORGS), teamId, models: [] });
}
for (const k of keys) k.models = [0, 1, 2].map(() => Math.floor(rand() * MODELS));
// Zipf(1.1) over a shuffled key order: a few keys carry most calls, as in real gateways.
const order = keys.map((_, i) => i).sort(() => rand() - 0.5);
const weights = order.map((_, r) => 1 / (r + 1) ** 1.1);
const cum: number[] = [];
weights.reduce((a, w, i) => (cum[i] = a + w), 0);
const pickKey = () => {
  const x = rand() * cum[cum.length - 1]!;
  let lo = 0, hi = cum.length - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (x <= cum[m]!) hi = m; else lo = m + 1; }
  return keys[order[lo]!]!;
};

function row(createdAt: number, i: number): UsageRecord {
  const k = pickKey();
  const mcp = rand() < 0.05;
  const latency = Math.round(Math.exp(6.7 + rand() * 1.5 + (rand() < 0.02 ? 3 : 0))); // ~800 ms median, a slow tail
  const failed = rand() < 0.03;
  return {
    createdAt, requestId: `r${i}`, keyId: k.keyId, userId: k.userId, orgId: k.orgId, teamId: k.teamId,
    model: mcp ? '' : `model-${rand() < 0.8 ? k.models[0] : k.models[Math.floor(rand() * 3)]}`, deployment: null,
    endpoint: mcp ? 'mcp.tools/call' : 'chat', status: failed ? 502 : 200, latencyMs: latency, ttftMs: null,
    inputTokens: failed || mcp ? 0 : 50 + Math.floor(rand() * 2_000), outputTokens: failed || mcp ? 0 : Math.floor(rand() * 800),
    endUserId: k.teamId !== null && rand() < 0.5 ? `end-user-${Math.floor(rand() * 200)}` : '', stream: rand() < 0.5, errorCode: null,
    mcpServer: mcp ? `server-${Math.floor(rand() * 4)}` : null, mcpTool: mcp ? `tool-${Math.floor(rand() * 6)}` : null,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'aqueduct-usage-bench-'));
const ms = (t0: number) => performance.now() - t0;
try {
  // 1. The writer's cost per row.
  {
    const h = openDatabase(join(dir, 'writer'));
    migrate(h.sqlite);
    const rows = Array.from({ length: 100_000 }, (_, i) => row(NOW - DAY + i * 100, i));
    const raw = h.sqlite.prepare(`INSERT INTO usage (created_at, request_id, key_id, user_id, org_id, team_id, model, deployment, endpoint, status, latency_ms, ttft_ms, input_tokens, output_tokens, end_user_id, stream, error_code, batch_id, mcp_server, mcp_tool) VALUES (${new Array(20).fill('?').join(', ')})`);
    const rawOnly = (batch: UsageRecord[]) => h.sqlite.transaction(() => {
      for (const r of batch) raw.run(r.createdAt, r.requestId, r.keyId, r.userId, r.orgId, r.teamId, r.model, r.deployment, r.endpoint, r.status, r.latencyMs, r.ttftMs, r.inputTokens, r.outputTokens, r.endUserId, r.stream ? 1 : 0, r.errorCode, null, r.mcpServer ?? null, r.mcpTool ?? null);
    }).immediate();
    const time = (f: (b: UsageRecord[]) => void) => {
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += 2_000) f(rows.slice(i, i + 2_000));
      return ms(t0);
    };
    const results: Record<string, number[]> = { raw: [], rollups: [] };
    for (let round = 0; round < 3; round++) {
      h.sqlite.run('DELETE FROM usage'); for (const t of ROLLUP_TABLES) h.sqlite.run(`DELETE FROM ${t}`);
      results.raw!.push(time(rawOnly));
      h.sqlite.run('DELETE FROM usage');
      results.rollups!.push(time((b) => insertUsageRows(h.sqlite, b)));
    }
    for (const [name, t] of Object.entries(results)) {
      const best = Math.min(...t);
      console.log(`writer, ${name === 'raw' ? 'raw insert only   ' : 'rows + rollups    '}: 100k rows in ${best.toFixed(0)} ms (best of 3) = ${((best * 1000) / rows.length).toFixed(1)} µs/row`);
    }
    h.close();
  }

  // 2. 10M rows over 30 days, oldest first, through insertUsageRows in 100k-row transactions.
  const h = openDatabase(join(dir, 'dashboard'));
  migrate(h.sqlite);
  // The orgs the rows name (ids 1..ORGS), so the console can open them; keys and users stay unnamed.
  const directory = new Directory(h.sql);
  for (let o = 1; o <= ORGS; o++) await directory.createOrg(`org-${o}`);
  const t0 = performance.now();
  const CHUNK = 100_000;
  for (let i = 0; i < ROWS; i += CHUNK) {
    const n = Math.min(CHUNK, ROWS - i);
    const batch = Array.from({ length: n }, (_, j) => row(NOW - 30 * DAY + Math.floor(((i + j) / ROWS) * 30 * DAY), i + j));
    insertUsageRows(h.sqlite, batch);
    if ((i / CHUNK) % 10 === 9) process.stderr.write(`  ${((i + n) / 1e6).toFixed(1)}M rows, ${(ms(t0) / 1000).toFixed(0)} s\n`);
  }
  const count = (t: string) => (h.sqlite.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  console.log(`loaded ${ROWS.toLocaleString()} rows in ${(ms(t0) / 1000).toFixed(0)} s through insertUsageRows; rollup rows: ${ROLLUP_TABLES.map((t) => `${t} ${count(t).toLocaleString()}`).join(', ')}`);
  h.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)');
  h.sqlite.run('ANALYZE');

  // 3. The dashboard queries.
  const busiest = (h.sqlite.query('SELECT org_id AS id FROM usage_org_day GROUP BY org_id ORDER BY sum(requests) DESC LIMIT 1').get() as { id: number }).id;
  const teamKey = keys.find((k) => k.teamId !== null)!;
  const scopes: [string, UsageScope][] = [
    ['admin', { kind: 'all' }],
    ['org admin', { kind: 'org', orgId: busiest }],
    ['team', { kind: 'team', teamId: teamKey.teamId! }],
    ['user', { kind: 'user', userId: teamKey.userId, teamIds: [teamKey.teamId!] }],
  ];
  for (const [span, spanMs] of [['30 d', 30 * DAY], ['7 d', 7 * DAY], ['24 h', DAY], ['1 h', DAY / 24]] as const) {
    for (const [who, scope] of scopes) {
      // What the console's usage page asks for (src/console/usage-routes.ts).
      const store = sqliteUsageStore(h.sqlite);
      const q = () => usageSummary(store, dashboardQuery(scope, 'model', spanMs, Date.now()));
      const first = await q();
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const t = performance.now();
        await q();
        times.push(ms(t));
      }
      times.sort((a, b) => a - b);
      console.log(`dashboard ${span}, ${who.padEnd(9)}: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms (${first.totals.requests.toLocaleString()} calls, ${first.series.length} points)`);
    }
  }
  h.close();

  // 4. The page itself: the compiled binary serving this data directory, an admin signed in to the console,
  //    GET /ui/usage timed end to end (rollup reads, HTML, HTTP) for the whole gateway and the busiest org.
  if (!process.argv.includes('--no-page')) await timePages(join(dir, 'dashboard'), busiest);
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

async function timePages(dataDir: string, busiestOrg: number): Promise<void> {
  const binary = join(import.meta.dir, '../dist/aqueduct');
  const proc = Bun.spawn([binary, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--demo'], { cwd: dataDir, stdout: 'ignore', stderr: 'pipe' });
  try {
    let log = '';
    const reader = proc.stderr.getReader();
    let url: string | undefined;
    for (const until = Date.now() + 60_000; url === undefined && Date.now() < until; ) {
      const { done, value } = await reader.read();
      if (done) break;
      log += new TextDecoder().decode(value);
      url = /listening on (http:\/\/\S+)/.exec(log)?.[1];
    }
    if (url === undefined) throw new Error(`the binary did not start:\n${log}`);
    void (async () => { for (;;) if ((await reader.read()).done) break; })();
    const key = (await Bun.file(join(dataDir, 'initial-admin-key')).text()).trim();
    const signIn = await fetch(`${url}/ui/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url }, body: new URLSearchParams({ key }) });
    const cookie = /^(aq_console=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error(`console sign-in failed: ${signIn.status}`);
    for (const range of ['30d', '7d', '24h', '1h']) {
      for (const view of ['all', `org-${busiestOrg}`]) {
        const get = async () => {
          const t = performance.now();
          const res = await fetch(`${url}/ui/usage?view=${view}&range=${range}`, { headers: { cookie } });
          const body = await res.text();
          if (res.status !== 200) throw new Error(`GET /ui/usage: ${res.status}`);
          return { ms: performance.now() - t, bytes: body.length };
        };
        await get();
        const times: number[] = [];
        let bytes = 0;
        for (let r = 0; r < RUNS; r++) {
          const one = await get();
          times.push(one.ms);
          bytes = one.bytes;
        }
        times.sort((a, b) => a - b);
        console.log(`page /ui/usage ${range.padEnd(3)} ${(view === 'all' ? 'whole gateway' : 'busiest org').padEnd(13)}: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms (${(bytes / 1024).toFixed(0)} KiB of HTML)`);
      }
    }
  } finally {
    proc.kill();
    await proc.exited;
  }
}
