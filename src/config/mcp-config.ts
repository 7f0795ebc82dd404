/** mcp.json in the Aqueduct format: {"mcpServers": {"<name>": {"type": "streamable-http", "url": …}}}. */
import { resolveEnvRef, type EnvLookup } from './env-ref';
import { Problems, isHttpUrl, isPlainObject } from './problems';

export interface McpServer {
  name: string;
  url: string;
  description?: string;
  tags: string[];
  iconUrl?: string;
  /** Extra headers sent upstream (e.g. the MCP server's own API key), after os.environ/VAR resolution. */
  headers: Record<string, string>;
}

export interface McpConfig {
  servers: Map<string, McpServer>;
}

const SERVER_KEYS = new Set(['type', 'url', 'description', 'tags', 'icon_url', 'headers']);
/** The name becomes a path segment of /mcp-servers/{name}/mcp. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseMcpConfig(text: string, env: EnvLookup, source = 'mcp.json'): { config: McpConfig; problems: string[] } {
  const problems = new Problems(source);
  const config: McpConfig = { servers: new Map() };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    problems.add('', `not valid JSON: ${(err as Error).message}`);
    return { config, problems: problems.list };
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.mcpServers)) {
    problems.add('', 'expected {"mcpServers": {"<name>": {...}}}');
    return { config, problems: problems.list };
  }
  problems.unknownKeys('', doc, new Set(['mcpServers']));
  for (const [name, raw] of Object.entries(doc.mcpServers)) {
    const path = `mcpServers.${name}`;
    if (!NAME.test(name)) problems.add(path, 'server names may use letters, digits, ".", "_" and "-" only');
    if (!isPlainObject(raw)) {
      problems.add(path, 'expected an object');
      continue;
    }
    problems.unknownKeys(path, raw, SERVER_KEYS);
    const type = raw.type ?? 'streamable-http';
    if (type !== 'streamable-http') problems.add(`${path}.type`, `unsupported "${String(type)}" (supported: streamable-http)`);
    const url = resolveEnvRef(raw.url, env);
    if ('missing' in url) problems.add(`${path}.url`, `environment variable ${url.missing} is not set`);
    else if (typeof url.value !== 'string' || !isHttpUrl(url.value)) problems.add(`${path}.url`, `not a valid http(s) URL: ${JSON.stringify(url.value)}`);
    if (raw.tags !== undefined && (!Array.isArray(raw.tags) || raw.tags.some((t) => typeof t !== 'string'))) {
      problems.add(`${path}.tags`, 'expected a list of strings');
    }
    const headers: Record<string, string> = {};
    if (raw.headers !== undefined) {
      if (!isPlainObject(raw.headers)) problems.add(`${path}.headers`, 'expected a mapping of header names to strings');
      else
        for (const [h, v] of Object.entries(raw.headers)) {
          const r = resolveEnvRef(v, env);
          if ('missing' in r) problems.add(`${path}.headers.${h}`, `environment variable ${r.missing} is not set`);
          else if (typeof r.value !== 'string') problems.add(`${path}.headers.${h}`, 'expected a string');
          else headers[h] = r.value;
        }
    }
    if ('value' in url && typeof url.value === 'string') {
      config.servers.set(name, {
        name,
        url: url.value,
        description: typeof raw.description === 'string' ? raw.description : undefined,
        tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
        iconUrl: typeof raw.icon_url === 'string' ? raw.icon_url : undefined,
        headers,
      });
    }
  }
  return { config, problems: problems.list };
}
