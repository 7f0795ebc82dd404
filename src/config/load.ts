/** Loads settings and both config files, collecting every problem instead of stopping at the first. */
import { readFileSync } from 'node:fs';
import type { EnvLookup } from './env-ref';
import { parseMcpConfig, type McpConfig } from './mcp-config';
import { emptyRouterConfig, parseRouterConfig, type RouterConfig } from './router-config';
import { resolveSettings, type Settings } from './settings';

export interface LoadedConfig {
  settings: Settings;
  router: RouterConfig;
  mcp: McpConfig;
  problems: string[];
}

function readText(path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

export function loadConfig(flags: ReadonlyMap<string, string>, env: EnvLookup = process.env): LoadedConfig {
  const { settings, problems } = resolveSettings(flags, env);
  let router = emptyRouterConfig();
  let mcp: McpConfig = { servers: new Map() };
  if (settings.routerConfig !== undefined) {
    const text = readText(settings.routerConfig, problems);
    if (text !== undefined) {
      const r = parseRouterConfig(text, env, settings.routerConfig);
      router = r.config;
      problems.push(...r.problems);
    }
  }
  if (settings.mcpConfig !== undefined) {
    const text = readText(settings.mcpConfig, problems);
    if (text !== undefined) {
      const r = parseMcpConfig(text, env, settings.mcpConfig);
      mcp = r.config;
      problems.push(...r.problems);
    }
  }
  return { settings, router, mcp, problems };
}
