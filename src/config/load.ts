/** Loads settings and both config files, collecting every problem instead of stopping at the first. */
import { readFileSync } from 'node:fs';
import { DEMO_ROUTER_YAML, DEMO_SOURCE } from './demo-models';
import type { EnvLookup } from './env-ref';
import { parseMcpConfig, type McpConfig } from './mcp-config';
import { emptyRouterConfig, parseRouterConfig, type RouterConfig } from './router-config';
import { parseOidcConfig } from './oidc';
import { resolveSettings, type Settings } from './settings';
import { readTermsFile, type TermsDocument } from './terms-file';

export interface LoadedConfig {
  settings: Settings;
  router: RouterConfig;
  /** The router config's text, for worker threads that build their own router from it. */
  routerText: string;
  mcp: McpConfig;
  /** True when the built-in demo models are served (--demo and no router config). */
  demo: boolean;
  /** The terms of service as read at load (AQUEDUCT_TOS_FILE), or undefined when none are set. */
  terms: TermsDocument | undefined;
  /** The config cannot be used: serve refuses to start (or to reload), check-config exits 1. */
  problems: string[];
  /** The config is used, but not everything it asks is done: printed by check-config (exit 0) and logged by serve. */
  warnings: string[];
}

/** Reads and parses one config file; a missing path means the file is not configured. */
function loadFile<T>(
  path: string | undefined,
  parse: (text: string, env: EnvLookup, source: string) => { config: T; problems: string[]; warnings?: string[] },
  fallback: T,
  env: EnvLookup,
  problems: string[],
  warnings: string[],
): { config: T; text: string } {
  if (path === undefined) return { config: fallback, text: '' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return { config: fallback, text: '' };
  }
  const r = parse(text, env, path);
  problems.push(...r.problems);
  warnings.push(...(r.warnings ?? []));
  return { config: r.config, text };
}

export function loadConfig(flags: ReadonlyMap<string, string>, env: EnvLookup = process.env): LoadedConfig {
  const { settings, problems } = resolveSettings(flags, env);
  problems.push(...parseOidcConfig(settings).problems);
  const warnings: string[] = [];
  if (settings.databaseUrl !== undefined && settings.fileStore === undefined) {
    // One node on PostgreSQL may keep its files locally; several must share them (batch lines run on any node).
    warnings.push("AQUEDUCT_DATABASE_URL without AQUEDUCT_FILE_STORE: stored files' bytes stay in this node's data directory; with more than one node, set AQUEDUCT_FILE_STORE to a bucket (s3://…) or a directory they share");
  }
  // A real router config always wins over --demo.
  const demo = settings.demo && settings.routerConfig === undefined;
  const router = demo
    ? { config: parseRouterConfig(DEMO_ROUTER_YAML, env, DEMO_SOURCE).config, text: DEMO_ROUTER_YAML }
    : loadFile(settings.routerConfig, parseRouterConfig, emptyRouterConfig(), env, problems, warnings);
  const mcp = loadFile(settings.mcpConfig, parseMcpConfig, { servers: new Map() }, env, problems, warnings).config;
  let terms: TermsDocument | undefined;
  if (settings.tosFile !== undefined) {
    try {
      terms = readTermsFile(settings.tosFile);
    } catch (err) {
      problems.push(`${settings.tosFile} (terms of service): ${(err as Error).message}`);
    }
  }
  return { settings, router: router.config, routerText: router.text, mcp, demo, terms, problems, warnings };
}
