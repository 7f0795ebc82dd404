/** The command line of the compiled binary: help, check-config, migrate, token errors. */
import { describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, tempDir } from '../support/binary';
import { startTestProvider } from '../support/oidc-provider';

describe('aqueduct commands', () => {
  test('--help on every command, and --version', async () => {
    const cwd = tempDir();
    const top = await runBinary(['--help'], { cwd });
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'check-config', 'token create', 'token list', 'token revoke']) {
      expect(top.stdout).toContain(cmd);
      const r = await runBinary([...cmd.split(' '), '--help'], { cwd });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: aqueduct`);
      expect(r.stdout).toContain('AQUEDUCT_DATA_DIR');
    }
    const version = await runBinary(['--version'], { cwd });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('unknown command or option → exit 2 with usage', async () => {
    const cwd = tempDir();
    expect((await runBinary(['frobnicate'], { cwd })).code).toBe(2);
    const r = await runBinary(['migrate', '--bogus'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
    const t = await runBinary(['token', 'create'], { cwd });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--user EMAIL is required');
  });

  test('check-config prints every problem and exits 1; a good config exits 0', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'bad.yaml'),
      'model_list:\n  - model_name: a\n    litellm_params: { model: nope/a, api_key: os.environ/UNSET_VAR, api_base: "::" }\n    model_info: { aliases: [a1] }\n  - model_name: b\n    litellm_params: { model: openai/b }\n    model_info: { aliases: [a1] }\n',
    );
    writeFileSync(join(cwd, 'mcp.json'), '{"mcpServers": {"x": {"type": "stdio", "url": "ftp://x"}}}');
    const bad = await runBinary(['check-config', '--router-config', 'bad.yaml', '--port', 'abc'], { cwd });
    expect(bad.code).toBe(1);
    for (const p of ['UNSET_VAR is not set', 'not a valid http(s) URL', 'unknown provider prefix "nope"', 'duplicate alias "a1"', '--port="abc"', 'mcp.json: mcpServers.x.type', 'mcp.json: mcpServers.x.url']) {
      expect(bad.stderr).toContain(p);
    }
    expect(bad.stderr).toContain('7 problems found');

    writeFileSync(join(cwd, 'mcp.json'), '{"mcpServers": {"everything": {"type": "streamable-http", "url": "http://127.0.0.1:3001/mcp"}}}');
    writeFileSync(join(cwd, 'router_config.yaml'), 'model_list:\n  - model_name: a\n    litellm_params: { model: openai/a, api_key: os.environ/KEY }\n');
    const good = await runBinary(['check-config'], { cwd, env: { KEY: 'k' } });
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('1 models');
    expect(good.stdout).toContain('1 servers');
  });

  test('check-config: single sign-on settings are checked, and the issuer is asked for its discovery document', async () => {
    const cwd = tempDir();
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
    const downIssuer = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    const bad = await runBinary(['check-config', '--demo'], {
      cwd,
      env: { AQUEDUCT_OIDC_ISSUER: 'https://idp.example.com/?x=1', AQUEDUCT_PUBLIC_URL: 'http://gw.example.com/?q', AQUEDUCT_OIDC_ORG: '^(a)-(b)$', AQUEDUCT_OIDC_TEAM_GROUPS: '([' },
    });
    expect(bad.code).toBe(1);
    for (const p of ['AQUEDUCT_OIDC_ISSUER="https://idp.example.com/?x=1": must not have a query', 'AQUEDUCT_OIDC_CLIENT_ID is required', 'AQUEDUCT_PUBLIC_URL="http://gw.example.com/?q"', 'AQUEDUCT_OIDC_ORG="^(a)-(b)$": needs exactly one capture group, has 2', 'AQUEDUCT_OIDC_TEAM_GROUPS="([": not a valid regular expression']) {
      expect(bad.stderr).toContain(p);
    }
    const settings = { AQUEDUCT_PUBLIC_URL: 'http://127.0.0.1:8000', AQUEDUCT_OIDC_CLIENT_ID: 'aqueduct', AQUEDUCT_OIDC_ORG: 'acme' };
    const down = await runBinary(['check-config', '--demo'], { cwd, env: { ...settings, AQUEDUCT_OIDC_ISSUER: downIssuer } });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`AQUEDUCT_OIDC_ISSUER="${downIssuer}"`);
    const idp = await startTestProvider({ gatewayUrl: 'http://127.0.0.1:8000' });
    try {
      const good = await runBinary(['check-config', '--demo'], { cwd, env: { ...settings, AQUEDUCT_OIDC_ISSUER: idp.issuer } });
      expect(good.code).toBe(0);
      expect(good.stdout).toContain(`single sign-on with ${idp.issuer}/ (redirect URI http://127.0.0.1:8000/ui/auth/callback)`);
    } finally {
      await idp.stop();
    }
  });

  test("check-config: Aqueduct's example config loads with no warning (whisper-1 is served)", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'router_config.yaml'), readFileSync(join(import.meta.dir, '../fixtures/aqueduct-example-router-config.yaml'), 'utf8'));
    const r = await runBinary(['check-config'], { cwd, env: { OPENAI_API_KEY: 'sk-up' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('5 models');
  });

  test('serve refuses to start with a broken config, listing the problems', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'router_config.yaml'), 'model_list:\n  - model_name: a\n    litellm_params: { model: openai/a, api_key: os.environ/NOT_SET }\n');
    const r = await runBinary(['serve', '--port', '0'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_SET is not set');
  });

  test('migrate creates a database from an empty directory', async () => {
    const cwd = tempDir();
    const first = await runBinary(['migrate', '--data-dir', 'db'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied 0000_');
    const again = await runBinary(['migrate'], { cwd, env: { AQUEDUCT_DATA_DIR: 'db' } });
    expect(again.stdout).toContain('up to date');
  });
});
