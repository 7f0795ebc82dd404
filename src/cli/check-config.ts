import { DEMO_SOURCE } from '../config/demo-models';
import { loadConfig } from '../config/load';
import { parseOidcConfig } from '../config/oidc';
import { OidcClient } from '../http/oidc-client';
import { openByteStore } from '../store/open-store';
import { redactUrl } from '../domain/redis-connection';
import { RedisLink } from '../store/redis/redis-link';
import { defineCommand } from './context';
import { SQL } from 'bun';
import { MIGRATIONS } from '../db/pg/migrations.gen';
import { newerDatabase } from '../db/migration-tags';
import { postgresWhere } from '../db/open-state';

export const checkConfigCommand = defineCommand({
  name: 'check-config',
  usage: 'aqueduct check-config [settings]',
  summary: 'Load all settings and config files and print every problem found',
  description:
    'Loads the settings, router_config.yaml and mcp.json exactly as "serve" would, prints every problem\n' +
    '(unknown keys, duplicate aliases, unset os.environ/VAR, malformed URLs, unknown providers, what a\n' +
    'cloud provider (azure/, gemini/, vertex_ai/, bedrock/) deployment is missing, …),\n' +
    'checks the terms-of-service file (readable UTF-8, not empty, at most 1 MB) and prints its version,\n' +
    'and exits 1 when there is any. With single sign-on configured it also checks the settings (client id,\n' +
    'public URL, the org and team patterns) and that the issuer\'s discovery document can be read. With\n' +
    'AQUEDUCT_FILE_STORE set it writes, reads back and deletes a small object there (bucket reachable, credentials\n' +
    'accepted, directory writable). With AQUEDUCT_REDIS_URL set it checks that Redis answers (PING) and runs scripts (EVAL).\n' +
    'With AQUEDUCT_DATABASE_URL set it connects to PostgreSQL and says which migrations serve would apply (it applies none). Warnings\n' +
    'go to stderr as "warning: …" and do not change the exit code.',
  async run(args, io) {
    const { settings, router, mcp, demo, terms, problems, warnings } = loadConfig(args.flags, io.env);
    const oidc = problems.length === 0 ? parseOidcConfig(settings).oidc : undefined;
    if (oidc !== undefined) {
      try {
        const meta = (await new OidcClient(oidc).configuration()).serverMetadata();
        if (meta.end_session_endpoint === undefined) warnings.push(`single sign-on: ${oidc.issuer.href} offers no end_session_endpoint: signing out ends the console session only`);
      } catch (err) {
        problems.push(`AQUEDUCT_OIDC_ISSUER=${JSON.stringify(settings.oidcIssuer)}: ${(err as Error).message}`);
      }
    }
    if (settings.fileStore !== undefined) {
      const problem = await probeFileStore(settings.fileStore, settings.dataDir, io.env);
      if (problem) problems.push(`AQUEDUCT_FILE_STORE=${JSON.stringify(settings.fileStore)}: ${problem}`);
    }
    let database: string | undefined;
    if (settings.databaseUrl !== undefined && !problems.some((p) => p.startsWith('AQUEDUCT_DATABASE_URL'))) {
      const probe = await probePostgres(settings.databaseUrl);
      if ('problem' in probe) problems.push(`AQUEDUCT_DATABASE_URL=${postgresWhere(settings.databaseUrl)}: ${probe.problem}`);
      else database = probe.state;
    }
    if (settings.redisUrl !== undefined) {
      const problem = await probeRedis(settings.redisUrl, Math.max(settings.redisTimeout, 2000));
      if (problem) problems.push(`AQUEDUCT_REDIS_URL=${JSON.stringify(redactUrl(settings.redisUrl))}: ${problem}`);
    }
    for (const w of warnings) io.err(`warning: ${w}`);
    if (problems.length > 0) {
      io.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} found:`);
      for (const p of problems) io.err(`  - ${p}`);
      return 1;
    }
    const deployments = [...router.models.values()].reduce((n, m) => n + m.deployments.length, 0);
    io.out(
      `ok: router config ${demo ? DEMO_SOURCE : (settings.routerConfig ?? '(none)')}: ${router.models.size} models, ${deployments} deployments, ` +
        `${router.aliases.size} aliases; MCP config ${settings.mcpConfig ?? '(none)'}: ${mcp.servers.size} servers` +
        (terms ? `; terms of service ${settings.tosFile}: version ${terms.version} (${terms.format})` : '') +
        (oidc ? `; single sign-on with ${oidc.issuer.href} (redirect URI ${oidc.redirectUri})` : '') +
        (database !== undefined ? `; state in ${postgresWhere(settings.databaseUrl!)} (${database})` : '') +
        (settings.fileStore !== undefined ? `; file store ${settings.fileStore} (writable)` : '') +
        (settings.redisUrl ? `; rate limits shared through ${redactUrl(settings.redisUrl)} (when unreachable: ${settings.redisFailure}), MCP sessions too (when unreachable: 503)` : ''),
    );
    return 0;
  },
});

/** What stops the gateway storing files there, or undefined; an endpoint that does not answer counts after 15 s. */
async function probeFileStore(fileStore: string, dataDir: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  let timer: Timer | undefined;
  try {
    const store = openByteStore(fileStore, dataDir, env);
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`${store.location}: no answer within 15 s`), 15_000)));
    return await Promise.race([store.check(), timeout]);
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether serve could use this PostgreSQL, and how far it is migrated (read only: nothing is applied). */
async function probePostgres(url: string): Promise<{ state: string } | { problem: string }> {
  const sql = new SQL({ url, max: 1, connectionTimeout: 10 });
  try {
    const [table] = (await sql`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present`) as { present: boolean }[];
    if (!table!.present) return { state: `reachable, empty: serve applies all ${MIGRATIONS.length} migrations at start` };
    const applied = new Set(((await sql`SELECT tag FROM schema_migrations`) as { tag: string }[]).map((r) => r.tag));
    const newer = newerDatabase(applied, MIGRATIONS);
    if (newer !== undefined) return { problem: newer };
    const pending = MIGRATIONS.filter((m) => !applied.has(m.tag)).length;
    return { state: pending === 0 ? 'reachable, up to date' : `reachable, ${pending} migration${pending === 1 ? '' : 's'} to apply at start` };
  } catch (err) {
    // The driver's message never holds the password; the url is named without it.
    return { problem: `cannot use PostgreSQL: ${(err as Error).message}` };
  } finally {
    await sql.close().catch(() => {});
  }
}

/** Why Redis cannot serve the shared rate limits, or undefined when it can. */
async function probeRedis(url: string, timeoutMs: number): Promise<string | undefined> {
  const link = new RedisLink(url, { timeoutMs });
  try {
    await link.send('PING', []);
    const reply = await link.send('EVAL', ['return 1', '0']);
    if (Number(reply) !== 1) return `EVAL answered ${JSON.stringify(reply)}: scripts are needed for the shared rate limits`;
    return undefined;
  } catch (err) {
    return `cannot use Redis: ${(err as Error).message} (is it running, and are the host, port and password right?)`;
  } finally {
    link.close();
  }
}
