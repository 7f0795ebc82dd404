/**
 * Several compiled gateways (dist/aqueduct) sharing one PostgreSQL database, one Redis and one S3 bucket, as
 * a deployment behind a load balancer runs them: each node has its own data directory (nothing on disk is
 * shared) and its own port. The services are started here, on 127.0.0.1, in temp dirs. Node 0 starts first
 * and makes the initial admin key (first start); the others start on the migrated database after it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from './binary';
import { startPostgres, type Postgres } from './services/postgres';
import { startRedis, type RedisService } from './services/redis';
import { startS3, type TestS3 } from './services/s3';

export interface Cluster {
  pg: Postgres;
  databaseUrl: string;
  redis: RedisService;
  s3: TestS3;
  /** The environment every node gets (database, Redis, file store, S3 credentials, …). */
  env: Record<string, string>;
  nodes: RunningBinary[];
  /** The initial admin key, made by node 0 at first start. */
  adminKey: string;
  /** Starts one more node (or restarts node `i` after a kill) with the shared settings. */
  startNode(i?: number): Promise<RunningBinary>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes: number;
  /** router_config.yaml text. */
  routerConfig: string;
  /** mcp.json text, if the nodes should serve MCP servers. */
  mcpConfig?: string;
  /** Extra settings for every node. */
  env?: Record<string, string>;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const [pg, redis, s3] = await Promise.all([startPostgres(), startRedis(), startS3()]);
  const databaseUrl = await pg.database();
  const root = tempDir('aq-cluster-');
  writeFileSync(join(root, 'router_config.yaml'), o.routerConfig);
  const configArgs = ['--router-config', 'router_config.yaml'];
  if (o.mcpConfig !== undefined) {
    writeFileSync(join(root, 'mcp.json'), o.mcpConfig);
    configArgs.push('--mcp-config', 'mcp.json');
  }
  const env = {
    ...s3.env,
    AQUEDUCT_DATABASE_URL: databaseUrl,
    AQUEDUCT_REDIS_URL: redis.url,
    AQUEDUCT_FILE_STORE: `s3://${s3.bucket}/files`,
    AQUEDUCT_ACCESS_LOG: 'off',
    ...o.env,
  };
  const nodes: RunningBinary[] = [];
  const startNode = async (i = nodes.length) => {
    const dataDir = join(root, `node-${i}`);
    const node = await startBinary({ cwd: root, args: ['--data-dir', dataDir, ...configArgs], env });
    nodes[i] = node;
    return node;
  };
  await startNode(0);
  const adminKey = readFileSync(join(root, 'node-0', 'initial-admin-key'), 'utf8').trim();
  await Promise.all(Array.from({ length: o.nodes - 1 }, (_, i) => startNode(i + 1)));
  return {
    pg,
    databaseUrl,
    redis,
    s3,
    env,
    nodes,
    adminKey,
    startNode,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
      await Promise.all([pg.stop(), redis.stop(), s3.stop()]);
    },
  };
}
