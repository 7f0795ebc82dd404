/** The compiled binary, started from an empty directory and called with the official openai SDK. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBinary, startBinary, tempDir, type RunningBinary } from '../support/binary';

const routerYaml = readFileSync(join(import.meta.dir, '../fixtures/aqueduct-example-router-config.yaml'), 'utf8');

describe('dist/aqueduct', () => {
  let gw: RunningBinary;
  let adminKey: string;

  beforeAll(async () => {
    const cwd = tempDir('aq-smoke-');
    writeFileSync(join(cwd, 'router_config.yaml'), routerYaml); // picked up from the working directory
    gw = await startBinary({ cwd, env: { OPENAI_API_KEY: 'sk-upstream' } });
    adminKey = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('first start creates the database, an admin key file (0600), and logs only its path', () => {
    const keyFile = join(gw.cwd, 'data/initial-admin-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(gw.cwd, 'data/aqueduct.db')).isFile()).toBe(true);
    expect(adminKey).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(gw.log()).toContain(keyFile.replace(`${gw.cwd}/`, ''));
    expect(gw.log()).not.toContain(adminKey);
    expect(gw.log()).not.toContain('not served'); // audio_transcriptions models are served: no warning
  });

  test('openai SDK: models.list() with the admin key', async () => {
    const client = new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1` });
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['gpt-4.1-nano', 'text-embedding-ada-002', 'gpt-4o-mini-tts', 'whisper-1', 'dall-e-2']);
    const one = await client.models.retrieve('main');
    expect(one.id).toBe('gpt-4.1-nano');
  });

  test('openai SDK: a wrong key raises AuthenticationError with the request id', async () => {
    const client = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await client.models.list().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
    expect(err.requestID).toMatch(/^req_/);
  });

  test('openai SDK: an unknown model raises NotFoundError', async () => {
    const client = new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await client.models.retrieve('nope').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
  });

  test('token create prints only the key; the running server accepts it, and refuses it once revoked', async () => {
    const created = await runBinary(['token', 'create', '--user', 'dev@example.com', '--name', 'laptop'], { cwd: gw.cwd });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await client.models.list()).data.length).toBe(5); // at once: a miss checks for new keys

    const listed = await runBinary(['token', 'list', '--user', 'dev@example.com', '--json'], { cwd: gw.cwd });
    const [row] = JSON.parse(listed.stdout) as { id: number; name: string; preview: string }[];
    expect(row!.name).toBe('laptop');
    expect(row!.preview).toBe(`sk-...${key.slice(-4)}`);
    expect(listed.stdout).not.toContain(key);

    const revoked = await runBinary(['token', 'revoke', String(row!.id)], { cwd: gw.cwd });
    expect(revoked.code).toBe(0);
    await waitFor(async () => (await client.models.list().then(() => false, (e) => e instanceof OpenAI.AuthenticationError)));
  });

  test('a second start does not print the key file path again', async () => {
    await gw.stop();
    gw = await startBinary({ cwd: gw.cwd, env: { OPENAI_API_KEY: 'sk-upstream' } });
    expect(gw.log()).not.toContain('initial-admin-key');
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(res.status).toBe(200);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await Bun.sleep(50);
  }
}
