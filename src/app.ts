/**
 * buildApp(deps): the whole HTTP surface, mounted in one visible order. Tests call it in-process with
 * `app.handle(request)`; `aqueduct serve` calls it and listens.
 *
 * Order matters: the model endpoints' own lane first (it does every step below itself, faster), then
 * request id (every response carries it), CORS (answers preflights before routing), error mapping, the key
 * check (401 before any body is read), body parsing, docs, and the routes (each API route bare and under /v1),
 * then the web console (/ui/; it also sends browsers asking for / there).
 */
import { Elysia } from 'elysia';
import type { McpConfig } from './config/mcp-config';
import type { RouterConfig } from './config/router-config';
import type { Settings } from './config/settings';
import type { Sql } from './db/sql';
import type { Directory } from './domain/directory';
import type { BatchStore } from './domain/batches/batch-store';
import type { BatchRunner } from './calls/batch-runner';
import type { FileStore } from './domain/files/file-store';
import type { KeyCache } from './domain/key-cache';
import type { McpSessionStore } from './domain/mcp/session-store';
import type { Metrics } from './domain/metrics';
import type { TermsSource } from './domain/terms';
import type { UsageSink } from './domain/usage';
import type { UsageReads } from './domain/usage-reads';
import type { ResponseStore } from './domain/responses/response-store';
import type { ModelCalls } from './calls/model-calls';
import { consoleRoutes } from './console';
import { accessLog, type AccessLog } from './http/access-log';
import { requireKey } from './http/auth';
import { jsonBodies } from './http/body';
import { cors } from './http/cors';
import { errors, methodLookup, type MethodLookup } from './http/errors';
import { docs } from './http/openapi';
import type { DocumentExamples } from './http/openapi-document';
import { requestExamples } from './http/request-examples';
import { requestId } from './http/request-id';
import type { Logger } from './log';
import { adminRoutes } from './routes/admin';
import { batchesRoutes } from './routes/batches';
import { filesRoutes } from './routes/files';
import { healthRoutes } from './routes/health';
import { mcpRoutes } from './routes/mcp';
import { metricsRoutes } from './routes/metrics';
import { INFERENCE_SCHEMAS, inferenceRoutes } from './routes/inference';
import { messagesKeyFirst, messagesRoutes } from './routes/messages';
import { inferenceIntercept, inferenceLane, type InferenceLane } from './routes/inference-lane';
import { modelsRoutes } from './routes/models';
import { responsesRoutes } from './routes/responses';
import { VERSION } from './version';

export interface AppDeps {
  settings: Settings;
  router: RouterConfig;
  mcp: McpConfig;
  /** The state database (SQLite or PostgreSQL) through the Sql port. */
  db: { sql: Sql };
  directory: Directory;
  files: FileStore;
  batches: BatchStore;
  runner: BatchRunner;
  keys: KeyCache;
  calls: ModelCalls;
  usage: UsageSink;
  /** The usage report, dashboards and retention, from the configured database. */
  usageReads: UsageReads;
  mcpSessions: McpSessionStore;
  access: AccessLog;
  metrics: Metrics;
  log: Logger;
  /** The responses the gateway handed out (/v1/responses): owners, and translated responses' items. */
  responses: ResponseStore;
  /** The terms of service in force (AQUEDUCT_TOS_FILE); undefined when none are set. */
  terms?: TermsSource;
  /** Unix ms; the `created` time of listed models. */
  startedAt: number;
}

/** The API routes, mounted once bare and once under /v1. */
const apiRoutes = (deps: AppDeps, lane: InferenceLane, prefix: '' | '/v1') =>
  new Elysia({ prefix }).use(modelsRoutes(deps)).use(inferenceRoutes(lane)).use(messagesRoutes(deps)).use(responsesRoutes(deps)).use(filesRoutes(deps)).use(batchesRoutes(deps));

/** Examples for the API document that name what is configured (see http/request-examples.ts). */
function documentExamples(deps: AppDeps): DocumentExamples {
  const bodies = requestExamples(deps.router);
  return { bodies, model: String(bodies.chat.model), mcpServer: deps.mcp.servers.keys().next().value };
}

export function buildApp(deps: AppDeps) {
  let methodsFor: MethodLookup = () => [];
  const lane = inferenceLane(deps, INFERENCE_SCHEMAS);
  // The listener gives the model endpoints straight to the lane (Bun's router); see routes/inference-lane.ts.
  const app = new Elysia({ serve: { routes: lane.routes } as object })
    .use(inferenceIntercept(lane))
    .use(requestId())
    .use(accessLog(deps.access))
    .use(cors(deps.settings.corsOrigins))
    .use(errors(deps.log, (path) => methodsFor(path)))
    .use(requireKey(deps.keys, (method, path) => methodsFor(path).includes(method)))
    .use(messagesKeyFirst(deps))
    .use(jsonBodies(deps.settings.maxBodySize, deps.settings.maxFileSize))
    .use(docs(VERSION, documentExamples(deps)))
    .use(healthRoutes(deps))
    .use(metricsRoutes(deps))
    .use(apiRoutes(deps, lane, ''))
    .use(apiRoutes(deps, lane, '/v1'))
    .use(adminRoutes(deps))
    .use(mcpRoutes(deps))
    .use(consoleRoutes(deps));
  methodsFor = methodLookup(app.routes);
  deps.metrics.labelRoutes(app.routes.map((r) => r.path));
  return app;
}

export type App = ReturnType<typeof buildApp>;
