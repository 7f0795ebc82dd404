/** An in-process gateway on an in-memory database, for tests that call `app.handle(request)`. */
import { buildApp, type AppDeps } from '../../src/app';
import { emptyRouterConfig, parseRouterConfig, type RouterConfig } from '../../src/config/router-config';
import { resolveSettings, type Settings } from '../../src/config/settings';
import { openDatabase, openMemoryDatabase, type DbHandle } from '../../src/db/connection';
import { migrate } from '../../src/db/migrate';
import { accessDefaults } from '../../src/domain/access-defaults';
import { createKeyCache, type KeyCache } from '../../src/domain/key-cache';
import { createRateLimiter } from '../../src/domain/create-rate-limiter';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/domain/directory';
import { BatchStore } from '../../src/domain/batches/batch-store';
import { BatchRunner } from '../../src/calls/batch-runner';
import { FileStore } from '../../src/domain/files/file-store';
import { openByteStore } from '../../src/store/open-store';
import { createMcpSessionStore } from '../../src/domain/mcp/create-session-store';
import { Metrics } from '../../src/domain/metrics';
import type { McpConfig } from '../../src/config/mcp-config';
import type { TokenService } from '../../src/domain/tokens';
import { UsageRecorder } from '../../src/domain/usage';
import { usageReads } from '../../src/domain/usage-reads';
import { sqliteUsageStore } from '../../src/db/sqlite/usage-store';
import { ModelCalls } from '../../src/calls/model-calls';
import { ResponseStore } from '../../src/domain/responses/response-store';
import { Secrets } from '../../src/calls/secrets';
import { UpstreamRouter } from '../../src/upstream/router';
import { silentLogger, type Logger } from '../../src/log';
import { readTermsFile } from '../../src/config/terms-file';
import { watchTerms } from '../../src/domain/terms';
import { seedKey } from './seed-key';

export interface TestGateway {
  app: ReturnType<typeof buildApp>;
  db: DbHandle;
  directory: Directory;
  files: FileStore;
  batches: BatchStore;
  runner: BatchRunner;
  tokens: TokenService;
  keys: KeyCache;
  usage: UsageRecorder;
  upstream: UpstreamRouter;
  /** Every usage row written so far (flushes the queue first). */
  usageRows(): Record<string, any>[];
  /** An admin key created for the test. */
  adminKey: string;
  /** Creates a user (if needed) and a key for it. */
  newKey(email?: string, opts?: { expiresAt?: number | null }): string;
  request(method: string, path: string, init?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Serves the app on a free local port (for real HTTP clients such as the openai SDK); returns its base URL. */
  listen(opts?: { idleTimeoutSeconds?: number }): string;
  close(): void;
}

export interface TestGatewayOptions {
  routerYaml?: string;
  router?: RouterConfig;
  settings?: Partial<Settings>;
  env?: Record<string, string>;
  mcp?: McpConfig;
  log?: Logger;
  /** How often the terms file (settings.tosFile) is looked at; 0 (default here): on every request. */
  termsCheckIntervalMs?: number;
  /**
   * A SQLite database in this directory instead of one in memory: two gateways given the same directory
   * share their keys, like two nodes sharing a database (with settings.redisUrl, their rate limits too).
   */
  dataDir?: string;
}

export function testGateway(opts: TestGatewayOptions = {}): TestGateway {
  const env = opts.env ?? {};
  let router = opts.router ?? emptyRouterConfig();
  if (opts.routerYaml !== undefined) {
    const parsed = parseRouterConfig(opts.routerYaml, env);
    if (parsed.problems.length) throw new Error(`test router config has problems:\n${parsed.problems.join('\n')}`);
    router = parsed.config;
  }
  const settings: Settings = { ...resolveSettings(new Map(), {}).settings, ...opts.settings };
  const db = opts.dataDir === undefined ? openMemoryDatabase() : openDatabase(opts.dataDir);
  migrate(db.sqlite);
  const directory = new Directory(db.sql);
  const tokens = directory.tokens;
  const keys = createKeyCache(db.sql, 50, accessDefaults(settings, router));
  const log = opts.log ?? silentLogger;
  const usage = new UsageRecorder(db.sqlite, log, 20);
  const upstream = new UpstreamRouter(router);
  upstream.backoffBaseMs = 10; // keep retry tests fast
  // In memory unless settings.redisUrl is set, as in the server.
  const limiter = createRateLimiter(settings, log);
  const metrics = new Metrics();
  upstream.onEvent = metrics.routerEvent;
  const calls = new ModelCalls(router, upstream, limiter, usage, log, Secrets.of(router, opts.mcp), (line) => metrics.observe(line), settings.clientIdleTimeout);
  // settings.fileStore (AQUEDUCT_FILE_STORE) and opts.env choose the byte store as in serve: unset → the data dir.
  const dataDir = mkdtempSync(join(tmpdir(), 'aq-files-'));
  const files = new FileStore(db.sql, dataDir, openByteStore(settings.fileStore, dataDir, env), log);
  const batches = new BatchStore(db.sql);
  const runner = new BatchRunner(batches, files, {
    workers: settings.batchWorkers,
    concurrency: settings.batchConcurrency,
    perBatchConcurrency: settings.batchConcurrencyPerBatch,
    routerYaml: opts.routerYaml ?? '',
    env,
    tickMs: 25,
    outputExpiryMs: settings.batchFileExpiry,
    backoffBaseMs: 10,
    importRetryMs: 20,
    leaseMs: settings.batchLease,
  }, log, { principalOf: (id) => keys.byKeyId(id), router: () => router });
  // As in serve: the runner starts once the keys are loaded (before, every batch's key would look revoked).
  let closed = false;
  void keys.ready.then(() => {
    if (!closed) runner.start();
  });
  const mcpSessions = createMcpSessionStore(settings, log);
  const terms = settings.tosFile === undefined ? undefined : watchTerms(settings.tosFile, readTermsFile(settings.tosFile), { checkIntervalMs: opts.termsCheckIntervalMs ?? 0 });
  const responses = new ResponseStore(db, settings.responsesRetention);
  const deps: AppDeps = { responses, terms, settings, router, mcp: opts.mcp ?? { servers: new Map() }, db, directory, files, batches, runner, keys, calls, usage, usageReads: usageReads(sqliteUsageStore(db.sqlite)), mcpSessions, access: (line) => metrics.observe(line), metrics, log, startedAt: Date.now() };
  const app = buildApp(deps);

  // Synchronous seeding (seed-key.ts), so that a test gateway and its keys are there without awaiting.
  const newKey = (email = `user${Math.random().toString(36).slice(2, 8)}@example.com`, o: { expiresAt?: number | null } = {}) => {
    const { key } = seedKey(db.sqlite, email, { name: 'test', expiresAt: o.expiresAt ?? null });
    void keys.reload(); // requests wait for it; direct keys.authenticate calls get a Promise until it is done
    return key;
  };
  const adminKey = seedKey(db.sqlite, 'admin@example.com', { role: 'admin', name: 'admin' }).key;
  void keys.reload();

  return {
    app,
    db,
    directory,
    files,
    batches,
    runner,
    tokens,
    keys,
    usage,
    upstream,
    usageRows() {
      usage.flush();
      return db.sqlite.query<Record<string, any>, []>('SELECT * FROM usage ORDER BY id').all();
    },
    adminKey,
    newKey,
    request(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? adminKey : init.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    },
    listen(o = {}) {
      app.listen({ hostname: '127.0.0.1', port: 0, ...(o.idleTimeoutSeconds ? { idleTimeout: o.idleTimeoutSeconds } : {}) });
      return `http://127.0.0.1:${app.server!.port}`;
    },
    close() {
      closed = true;
      if (app.server) void app.stop();
      void runner.stop();
      mcpSessions.close();
      // Saved responses are written through the async Sql port: the database closes once they are.
      const responsesWritten = responses.close();
      usage.close();
      limiter.close();
      // The database closes after the key cache has stopped and the saved responses are written (both async).
      void Promise.all([keys.close(), responsesWritten]).finally(() => db.close());
    },
  };
}

/** Asserts the OpenAI error shape and returns the error object. */
export async function expectOpenAIError(res: Response, status: number) {
  const { expect } = await import('bun:test');
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  return body.error as { message: string; type: string; param: string | null; code: string | null };
}
