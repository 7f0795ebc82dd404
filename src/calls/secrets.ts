/**
 * The secrets the configuration holds (deployment api_keys, header values from router_config.yaml and
 * mcp.json): an upstream's error message that echoes one of them ("Incorrect API key provided: sk-…")
 * must not reach the caller with it.
 */
import type { McpConfig } from '../config/mcp-config';
import type { RouterConfig } from '../config/router-config';

/** Values shorter than this are not treated as secrets (a header such as "v1" would redact every "v1"). */
const MIN_SECRET_LENGTH = 8;

export class Secrets {
  private readonly values: string[];

  constructor(values: Iterable<string>) {
    // Longest first, so a secret that contains another is redacted whole.
    this.values = [...new Set([...values].filter((v) => v.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  }

  static of(router: RouterConfig, mcp?: McpConfig): Secrets {
    const out: string[] = [];
    for (const model of router.models.values()) {
      for (const d of model.deployments) {
        if (d.apiKey) out.push(d.apiKey);
        out.push(...(d.secrets ?? []));
        out.push(...Object.values(d.extraHeaders));
      }
    }
    for (const server of mcp?.servers.values() ?? []) out.push(...Object.values(server.headers ?? {}));
    return new Secrets(out);
  }

  /** The text with every configured secret replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.replaceAll(v, '[redacted]');
    return out;
  }
}
