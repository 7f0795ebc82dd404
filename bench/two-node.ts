/**
 * The two-node scenario (issue #20; part of `make bench`, or alone: `bun bench/two-node.ts [--quick]`):
 * compiled gateways sharing a PostgreSQL database and a Redis (started here, on 127.0.0.1, as the tests start
 * them), each pinned to its own CPU.
 *
 * - **req/s, one node vs two**: wrk at 64 connections on node A alone (CPU 0), then 32 connections on each of
 *   A (CPU 0) and B (CPU 1) at once, summed. Twenty keys, each with a (never reached) rpm limit, so every call
 *   takes the shared limit's Redis round trip and writes its usage row to PostgreSQL. Repetitions alternate.
 * - **the shared-limit round trip at 1 connection**: a key with a limit (one EVALSHA to Redis per call) against
 *   a key with none (no Redis), on one node, in alternating 1-second windows (the machine drifts by more than
 *   the difference over longer runs): the median of the rounds' p50 differences.
 *
 * On a 2-core machine the second node shares its core with wrk, the mock upstream, PostgreSQL and Redis, which
 * the one-node run leaves to CPU 1: the req/s ratio says what a second node brings on this machine, not on a
 * machine per node. The gateways' CPU per request (one node alone, and both nodes together) says what does
 * carry over: whether a second node makes each call cost more.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPinned, type Proc } from './lib/processes';
import { wrk, type WrkResult } from './lib/wrk';
import { adminApi } from '../test/support/admin-api';
import { startPostgres } from '../test/support/services/postgres';
import { startRedis } from '../test/support/services/redis';

export interface TwoNodeResult {
  /** Median req/s over the repetitions, and each repetition's. */
  one_node_rps: number;
  two_nodes_rps: number;
  one_node_runs: number[];
  two_nodes_runs: number[];
  ratio: number;
  /**
   * The gateways' own CPU per request (µs, whole processes, from /proc), one node vs the two together: equal
   * means a second node adds no work per call (no cross-node contention), so capacity grows with the cores
   * the nodes get — which this 2-core machine cannot show in req/s.
   */
  one_node_cpu_us_per_request: number;
  two_nodes_cpu_us_per_request: number;
  /** p50 at 1 connection without and with a limit, and the median added p50 over alternating windows (ms). */
  unlimited_p50_ms: number;
  limited_p50_ms: number;
  shared_limit_added_p50_ms: number;
  errors: number;
}

const root = join(import.meta.dir, '..');
/** A process's CPU time so far, µs (user + system, all its threads; clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const body = JSON.stringify({ model: 'chat-bench', messages: [{ role: 'user', content: 'Summarise the plot of Hamlet in one line.' }] });

/** `mockUrl`: a mock upstream (test/support/mock-upstream.ts) already running, with the `bench` profile. */
export async function twoNodeScenario(mockUrl: string, o: { quick?: boolean; loadCpu?: number } = {}): Promise<TwoNodeResult> {
  const seconds = o.quick ? 1 : 4;
  const reps = o.quick ? 1 : 3;
  const rounds = o.quick ? 2 : 8;
  const loadCpu = o.loadCpu ?? 1;
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const dir = join(tmpdir(), `aq-bench-2n-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'router_config.yaml'), `model_list:\n  - model_name: chat-bench\n    litellm_params: { model: openai/chat-bench, api_base: "${mockUrl}/bench/v1", api_key: sk-upstream-bench }\n`);
  const env = { AQUEDUCT_DATABASE_URL: await pg.database(), AQUEDUCT_REDIS_URL: redis.url, AQUEDUCT_ACCESS_LOG: 'off' };
  const nodes: Proc[] = [];
  try {
    const start = async (cpu: number) => {
      const p = await spawnPinned(cpu, [join(root, 'dist/aqueduct'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, `node-${cpu}`), '--router-config', 'router_config.yaml'], /listening on (http:\/\/\S+)/, { cwd: dir, env });
      nodes.push(p);
      return p;
    };
    const a = await start(0);
    const adminKey = readFileSync(join(dir, 'node-0', 'initial-admin-key'), 'utf8').trim();
    const b = await start(1);
    const api = adminApi(adminKey);
    const newKey = async (rpm: number | null) => {
      const key = await api.newUserKey(a.url);
      if (rpm !== null) await api.call(a.url, 'PATCH', `/admin/keys/${key.id}`, { rpm });
      return key.key;
    };
    const limitedKeys = await Promise.all(Array.from({ length: 20 }, () => newKey(10_000_000)));
    const unlimited = await newKey(null);
    const load = (node: Proc, keys: string[], connections: number, secs: number) =>
      wrk({ url: `${node.url}/v1/chat/completions`, body, headers: { 'Content-Type': 'application/json' }, keys, connections, seconds: secs, cpu: loadCpu });

    let errors = 0;
    const count = (r: WrkResult) => ((errors += r.errors), r);
    // Warm both nodes (JIT, connection pools to PostgreSQL, Redis and the upstream).
    await Promise.all([load(a, limitedKeys, 16, 1), load(b, limitedKeys, 16, 1)]);

    const one: number[] = [];
    const two: number[] = [];
    const cpu = { one: { us: 0, requests: 0 }, two: { us: 0, requests: 0 } };
    const cpuOf = (ps: Proc[]) => ps.reduce((n, p) => n + cpuUs(p.pid), 0);
    for (let rep = 0; rep < reps; rep++) {
      console.log(`two-node: one node, run ${rep + 1} …`);
      let before = cpuOf([a]);
      const alone = count(await load(a, limitedKeys, 64, seconds));
      cpu.one.us += cpuOf([a]) - before;
      cpu.one.requests += alone.requests;
      one.push(alone.rps);
      console.log(`two-node: two nodes, run ${rep + 1} …`);
      before = cpuOf([a, b]);
      const both = await Promise.all([load(a, limitedKeys, 32, seconds), load(b, limitedKeys, 32, seconds)]);
      cpu.two.us += cpuOf([a, b]) - before;
      cpu.two.requests += both.reduce((n, r) => n + r.requests, 0);
      two.push(both.reduce((n, r) => n + count(r).rps, 0));
    }

    console.log('two-node: the shared-limit round trip at 1 connection …');
    await load(a, [unlimited], 1, 1);
    const added: number[] = [];
    const free: number[] = [];
    const limited: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const f = count(await load(a, [unlimited], 1, 1));
      const l = count(await load(a, [limitedKeys[0]!], 1, 1));
      free.push(f.p50_ms);
      limited.push(l.p50_ms);
      added.push(l.p50_ms - f.p50_ms);
    }
    const oneRps = median(one);
    const twoRps = median(two);
    return {
      one_node_rps: oneRps,
      two_nodes_rps: twoRps,
      one_node_runs: one,
      two_nodes_runs: two,
      ratio: +(twoRps / oneRps).toFixed(2),
      one_node_cpu_us_per_request: Math.round(cpu.one.us / cpu.one.requests),
      two_nodes_cpu_us_per_request: Math.round(cpu.two.us / cpu.two.requests),
      unlimited_p50_ms: median(free),
      limited_p50_ms: median(limited),
      shared_limit_added_p50_ms: +median(added).toFixed(3),
      errors,
    };
  } finally {
    for (const n of nodes) await n.stop().catch(() => {});
    await redis.stop();
    await pg.stop();
  }
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const mock = await spawnPinned(1, [process.execPath, join(root, 'test/support/mock-upstream.ts'), '--port', '0'], /on (http:\/\/\S+)/);
  try {
    console.log(JSON.stringify(await twoNodeScenario(mock.url, { quick }), null, 2));
  } finally {
    await mock.stop();
  }
}
