/**
 * Starting and stopping the gateway: config, database, first start, key cache, HTTP listener.
 * The only place (with main.ts) that touches process state.
 */
import { mkdirSync } from 'node:fs';
import { buildApp, type AppDeps } from './app';
import type { LoadedConfig } from './config/load';
import { openStateDb } from './db/open-state';
import { bootstrapAdmin } from './domain/first-start';
import { accessDefaults } from './domain/access-defaults';
import { createKeyCache } from './domain/key-cache';
import { createRateLimiter } from './domain/create-rate-limiter';
import { startRetention } from './domain/retention';
import { Directory } from './domain/directory';
import { BatchStore } from './domain/batches/batch-store';
import { BatchRunner } from './calls/batch-runner';
import { FileStore } from './domain/files/file-store';
import type { ByteStore } from './store/byte-store';
import { openByteStore } from './store/open-store';
import { createMcpSessionStore } from './domain/mcp/create-session-store';
import { usageBackend } from './domain/usage-backend';
import { ModelCalls } from './calls/model-calls';
import { ResponseStore } from './domain/responses/response-store';
import { Secrets } from './calls/secrets';
import { UpstreamRouter } from './upstream/router';
import { Metrics } from './domain/metrics';
import { watchTerms } from './domain/terms';
import { accessLogTo, noAccessLog, type AccessLog } from './http/access-log';
import { createLogger } from './log';
import { writePidFile } from './pid-file';
import { VERSION } from './version';

export interface RunningServer {
  url: string;
  /** Re-reads router_config.yaml and mcp.json (SIGHUP); a config with problems is refused and logged; warnings are logged. */
  reload(next: LoadedConfig): boolean;
  stop(): Promise<void>;
}

export async function startServer(config: LoadedConfig): Promise<RunningServer> {
  const { settings } = config;
  const log = createLogger(settings.logLevel);
  const startedAt = Date.now();
  // First, before anything is written: a file store named but missing (an unmounted NFS directory) stops the start.
  let bytes: ByteStore;
  try {
    bytes = openByteStore(settings.fileStore, settings.dataDir, process.env);
  } catch (err) {
    throw new Error(`AQUEDUCT_FILE_STORE=${JSON.stringify(settings.fileStore)}: ${(err as Error).message}`);
  }
  // The data directory holds the pid file and upload scratch space on every node (and the state, on SQLite).
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const removePidFile = writePidFile(settings.dataDir);
  // The data directory's SQLite file, or PostgreSQL (AQUEDUCT_DATABASE_URL) shared by every node; migrated.
  const state = await openStateDb(settings).catch((err) => {
    removePidFile();
    throw err;
  });
  const sql = state.sql;
  if (state.applied.length) log.info('database migrated', { path: state.where, applied: state.applied.join(',') });
  if (state.sqlite === undefined) {
    log.info('state in PostgreSQL', { database: state.where });
    if (settings.redisUrl === undefined) {
      log.warn('AQUEDUCT_DATABASE_URL without AQUEDUCT_REDIS_URL: rate limits and MCP sessions are counted and kept per node; with more than one node, set AQUEDUCT_REDIS_URL');
    }
  }

  const directory = new Directory(sql);
  const files = new FileStore(sql, settings.dataDir, bytes, log);
  files.cleanIncoming();
  if (settings.fileStore !== undefined) {
    log.info('stored files live in', { store: bytes.location });
    // Off the start-up path: a bucket that refuses us is logged now rather than found at the first upload.
    void bytes.check().then((problem) => problem && log.error(`the file store cannot be used: ${problem}`));
  }

  const fileSweeper = setInterval(() => {
    files.sweepExpired().catch((err) => log.warn('could not sweep expired files; will try again in an hour', { error: (err as Error).message }));
    responses.prune().catch((err) => log.warn('could not prune expired responses; will try again in an hour', { error: (err as Error).message }));
  }, 3_600_000);
  fileSweeper.unref();
  const keyFile = await bootstrapAdmin(directory.tokens, settings.dataDir);
  if (keyFile) log.info(`first start: created user admin@localhost with an admin key; the key is in ${keyFile} (mode 0600)`);

  let deps: AppDeps | undefined;
  let stopping = false;
  const keys = createKeyCache(sql, settings.keyRefreshInterval, accessDefaults(settings, () => deps?.router ?? config.router), Date.now, {
    onError: (message, err) => log.warn(message, { error: (err as Error).message }),
  });
  const usageDb = usageBackend(settings, state.sqlite, log);
  const usage = usageDb.recorder;
  // Saved responses are written on the usage writer's thread, off the event loop (see response-store.ts).
  const responses = new ResponseStore({ sql }, settings.responsesRetention, Date.now, 50, (rows) => usage.writeResponses(rows), (err) =>
    log.error('could not write saved responses; will retry', { error: err as Error }),
  );
  const limiter = createRateLimiter(settings, log);
  const stopRetention = startRetention(usageDb.reads, settings.usageRetention, log);
  const metrics = new Metrics();
  const accessLines = settings.accessLog ? accessLogTo((text) => process.stdout.write(text)) : { log: noAccessLog, flush() {} };
  const writeLine = accessLines.log;
  process.on('exit', accessLines.flush); // lines of the last 50 ms, whatever the way out
  // One event per request feeds both the access log and the metrics.
  const access: AccessLog = (line) => {
    metrics.observe(line);
    writeLine(line);
  };
  const upstream = new UpstreamRouter(config.router);
  upstream.onEvent = metrics.routerEvent;
  const calls = new ModelCalls(config.router, upstream, limiter, usage, log, Secrets.of(config.router, config.mcp), access, settings.clientIdleTimeout);
  const batches = new BatchStore(sql);
  const runner = new BatchRunner(batches, files, {
    workers: settings.batchWorkers,
    concurrency: settings.batchConcurrency,
    perBatchConcurrency: settings.batchConcurrencyPerBatch,
    routerYaml: config.routerText,
    env: process.env,
    outputExpiryMs: settings.batchFileExpiry,
    leaseMs: settings.batchLease,
  }, log, { principalOf: (id) => keys.byKeyId(id), router: () => deps?.router ?? config.router });
  // Once the keys are loaded: before, every batch's key would look revoked. (Requests wait by themselves.)
  void keys.ready.then(() => {
    if (!stopping) runner.start();
  });
  const mcpSessions = createMcpSessionStore(settings, log);
  // In memory only: shared sessions (Redis) are not this node's to count.
  if (mcpSessions.size !== undefined) metrics.gauge('aqueduct_mcp_sessions', 'Open MCP sessions', () => [[{}, mcpSessions.size ?? 0]]);
  metrics.gauge('aqueduct_usage_write_queue', 'Usage records waiting to be written', () => [[{}, usage.pending]]);
  // Counted by the runner's ticks (at most a second old): a scrape does not wait on the database.
  metrics.gauge('aqueduct_batch_lines', 'Lines of unfinished batches by state (every node\'s)', () => runner.lineGauge());
  // The terms file was read and checked by loadConfig; from here it is watched for changes.
  const terms =
    settings.tosFile !== undefined && config.terms !== undefined
      ? watchTerms(settings.tosFile, config.terms, {
          onProblem: (message) => log.warn(`terms of service: ${message}`),
          onChange: (doc) => log.info('terms of service changed: everyone must accept the new version', { version: doc.version }),
        })
      : undefined;
  if (config.terms) log.info('terms of service in force', { file: settings.tosFile, version: config.terms.version });
  deps = { settings, router: config.router, mcp: config.mcp, db: state, directory, files, batches, runner, keys, calls, usage, usageReads: usageDb.reads, mcpSessions, access, metrics, log, startedAt, terms, responses };
  const app = buildApp(deps);
  app.listen({
    hostname: settings.host,
    port: settings.port,
    // Leave room above our own limits so oversized bodies get our 413, not Bun's.
    maxRequestBodySize: Math.max(settings.maxBodySize * 2, Math.max(settings.maxFileSize, settings.maxAudioSize) + 16 * 1024 * 1024),
  });
  const server = app.server!;
  const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${server.port}`;
  for (const w of config.warnings) log.warn(w);
  if (config.demo) {
    log.warn(`demo mode: serving ${[...config.router.models.keys()].join(', ')} from the built-in demo provider; they echo and are not real models (give a router config to serve real ones)`);
  } else if (settings.demo) log.info('--demo ignored: a router config is given and always wins');
  else if (config.router.models.size === 0) {
    log.warn('no models configured: give a router config (--router-config, see examples/router_config.yaml) or start with --demo to try the built-in demo models');
  }
  log.info(`aqueduct ${VERSION} listening on ${url}`, {
    models: config.router.models.size,
    mcp_servers: config.mcp.servers.size,
    ready_ms: Date.now() - startedAt,
  });

  return {
    url,
    reload(next) {
      if (next.problems.length > 0) {
        log.error(`configuration not reloaded: ${next.problems.length} problem${next.problems.length === 1 ? '' : 's'}; keeping the running one`);
        for (const p of next.problems) log.error(`  ${p}`);
        return false;
      }
      // Routes read deps.router and deps.mcp per request, so swapping them applies to the next request;
      // connections and calls in flight are not touched.
      deps!.router = next.router;
      deps!.mcp = next.mcp;
      calls.reconfigure(next.router, Secrets.of(next.router, next.mcp));
      runner.reconfigure(next.routerText);
      void keys.reload(); // aliases of excluded models may have changed (requests wait for it)
      for (const w of next.warnings) log.warn(w);
      log.info('configuration reloaded', { models: next.router.models.size, mcp_servers: next.mcp.servers.size });
      return true;
    },
    /**
     * Stops accepting connections, lets calls and streams in flight finish within the grace period (then
     * cuts what is left), stops the batch runner, flushes usage and checkpoints the database.
     */
    async stop() {
      stopping = true;
      const listener = app.server!;
      const drained = listener.stop(false).then(() => true);
      const inTime = await Promise.race([drained, Bun.sleep(settings.shutdownGrace).then(() => false)]);
      if (!inTime) {
        log.warn('grace period over: closing the connections still open', { pending: listener.pendingRequests });
        await listener.stop(true);
      }
      await runner.stop();
      mcpSessions.close();
      stopRetention();
      clearInterval(fileSweeper);
      await responses.close();
      await usageDb.close();
      limiter.close();
      await keys.close();
      state.sqlite?.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)');
      await state.close();
      removePidFile();
      accessLines.flush();
    },
  };
}
