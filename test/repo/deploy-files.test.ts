/**
 * The multi-node deploy examples (deploy/multi-node/, deploy/aqueduct.env.example) say what the gateway
 * understands: every AQUEDUCT_ setting they name exists, the compose file is valid YAML whose nodes share one
 * database, Redis and bucket (each with its own data volume), and both load balancers pass server-sent
 * events through unbuffered and check /ready. No Docker, Caddy or nginx runs here; this keeps the files honest.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config/settings';

const DEPLOY = join(import.meta.dir, '../../deploy');
const read = (name: string) => readFileSync(join(DEPLOY, name), 'utf8');
const KNOWN = new Set(Object.values(SETTINGS).map((s) => s.env));

describe('deploy examples', () => {
  test('every AQUEDUCT_ setting they name is one the gateway reads', () => {
    for (const file of ['aqueduct.env.example', 'multi-node/compose.yaml', 'multi-node/Dockerfile']) {
      const named = [...new Set(read(file).match(/AQUEDUCT_[A-Z_]+/g) ?? [])];
      expect({ file, unknown: named.filter((n) => !KNOWN.has(n)) }).toEqual({ file, unknown: [] });
    }
  });

  test('compose: two nodes on one database, Redis and bucket, each with its own data volume, behind Caddy', () => {
    // Compose resolves YAML merge keys (the nodes' shared `<<: *node`).
    const doc = parse(read('multi-node/compose.yaml'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; volumes?: string[]; command?: string[] }>;
      configs: { caddyfile: { content: string } };
    };
    const nodes = ['node1', 'node2'].map((n) => doc.services[n]!);
    for (const n of nodes) {
      expect(n.environment!.AQUEDUCT_DATABASE_URL).toStartWith('postgres://');
      expect(n.environment!.AQUEDUCT_REDIS_URL).toStartWith('redis://');
      expect(n.environment!.AQUEDUCT_FILE_STORE).toStartWith('s3://');
      expect(n.command).toContain('--data-dir');
    }
    expect(nodes[0]!.environment).toEqual(nodes[1]!.environment);
    const dataVolume = (n: { volumes?: string[] }) => n.volumes!.find((v) => v.endsWith(':/var/lib/aqueduct'));
    expect(dataVolume(nodes[0]!)).not.toBe(dataVolume(nodes[1]!));
    expect(Object.keys(doc.services)).toEqual(expect.arrayContaining(['postgres', 'valkey', 'minio', 'caddy']));
    expect(doc.configs.caddyfile.content).toContain('reverse_proxy node1:8000 node2:8000');
    expect(doc.configs.caddyfile.content).toContain('flush_interval -1');
  });

  test('Caddy and nginx: streams unbuffered, /ready or failures decide where requests go, uploads fit', () => {
    const caddy = read('multi-node/Caddyfile');
    expect(caddy).toContain('flush_interval -1');
    expect(caddy).toContain('health_uri /ready');
    const nginx = read('multi-node/nginx.conf');
    expect(nginx).toContain('proxy_buffering off;');
    expect(nginx).toContain('proxy_request_buffering off;');
    expect(nginx).toMatch(/client_max_body_size \d+m;/);
    expect(nginx).toMatch(/server \S+:8000 max_fails=\d+/);
  });
});
