/**
 * Seeded usage rows for tests that compare stores: varied orgs, teams, users, keys (personal and service
 * accounts), models, MCP servers and tools, statuses, tokens, latencies (log-spread, 1 ms to minutes) and
 * end-user ids. The same seed gives the same rows.
 */
import type { UsageRecord } from '../../src/domain/usage-rows';

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Who the ids are: orgs 1–3, teams 10–12, users 1–8. */
export const LABELS = {
  orgs: [{ id: 1, name: 'acme' }, { id: 2, name: 'globex' }, { id: 3, name: 'initech' }],
  teams: [{ id: 10, orgId: 1, name: 'red' }, { id: 11, orgId: 1, name: 'blue' }, { id: 12, orgId: 2, name: 'green' }],
  users: Array.from({ length: 8 }, (_, i) => ({ id: i + 1, email: `user${i + 1}@example.com`, orgId: (i % 3) + 1 })),
};

const TEAMS_OF: Record<number, number[]> = { 1: [10, 11], 2: [12], 3: [] };

/** Key k: made by user (k % 8) + 1 in that user's org; every third key of an org with teams is a team's service account. */
function keyOf(k: number): { keyId: number; userId: number; orgId: number; teamId: number | null } {
  const user = LABELS.users[k % 8]!;
  const teams = TEAMS_OF[user.orgId]!;
  return { keyId: k, userId: user.id, orgId: user.orgId, teamId: k % 3 === 0 && teams.length ? teams[k % teams.length]! : null };
}

export function generateUsage(o: { seed: number; count: number; since: number; until: number; keys?: number; models?: number }): UsageRecord[] {
  const r = prng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const models = ['gpt-4.1-nano', 'claude-x', 'llama', 'embed-3', 'whisper'].slice(0, o.models ?? 5);
  const statuses = [200, 200, 200, 200, 200, 200, 200, 429, 500, 502, 400];
  const rows: UsageRecord[] = [];
  for (let i = 0; i < o.count; i++) {
    const key = keyOf(1 + Math.floor(r() * (o.keys ?? 24)));
    const mcp = r() < 0.1;
    const status = pick(statuses);
    const server = mcp ? pick(['files', 'search']) : null;
    rows.push({
      createdAt: Math.floor(o.since + r() * (o.until - o.since)),
      requestId: `req-${o.seed}-${i}`,
      ...key,
      model: mcp ? '' : pick(models),
      deployment: mcp ? null : 'd#0',
      endpoint: mcp ? 'mcp.tools/call' : 'chat',
      status,
      latencyMs: Math.round(Math.exp(r() * 12)),
      ttftMs: r() < 0.5 ? Math.round(r() * 500) : null,
      inputTokens: mcp ? 0 : Math.floor(r() * 5_000),
      outputTokens: mcp || status >= 400 ? 0 : Math.floor(r() * 2_000),
      endUserId: r() < 0.3 ? `end-${Math.floor(r() * 40)}` : '',
      stream: r() < 0.5,
      errorCode: status >= 400 ? 'upstream_error' : null,
      batchId: r() < 0.05 ? 'batch_x' : null,
      mcpServer: server,
      mcpTool: mcp ? (r() < 0.2 ? null : pick(['read', 'write', 'find'])) : null,
      audioSeconds: !mcp && r() < 0.05 ? Math.round(r() * 1000) / 10 : null,
    });
  }
  return rows;
}
