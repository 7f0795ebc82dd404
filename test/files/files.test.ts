/** /files through the official openai SDK: upload, list (auto-pagination), retrieve, content, delete, checks. */
import { afterAll, describe, expect, test } from 'bun:test';
import OpenAI, { toFile } from 'openai';
import { existsSync, readdirSync } from 'node:fs';
import { testGateway } from '../support/app';

const gw = testGateway({
  routerYaml: `
model_list:
  - { model_name: chat, litellm_params: { model: openai/c, api_base: "http://127.0.0.1:1/v1" }, model_info: { mode: chat, aliases: [main] } }
  - { model_name: embed, litellm_params: { model: openai/e, api_base: "http://127.0.0.1:1/v1" }, model_info: { mode: embedding } }
  - { model_name: secret, litellm_params: { model: openai/s, api_base: "http://127.0.0.1:1/v1" } }
`,
  settings: { maxFileSize: 64 * 1024, maxBatchFileSize: 32 * 1024, maxBatchLines: 50, storagePerOwner: 256 * 1024 },
});
const url = gw.listen();
afterAll(() => gw.close());
const client = (key = gw.adminKey) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

const line = (id: string, model = 'chat', extra: object = {}) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `hello ${id}` }] }, ...extra });
const jsonl = (lines: string[]) => `${lines.join('\n')}\n`;

describe('files', () => {
  test('upload, retrieve, download, delete', async () => {
    const content = jsonl([line('a'), line('b'), line('c', 'main')]);
    const file = await client().files.create({ file: await toFile(Buffer.from(content), 'input.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', filename: 'input.jsonl', purpose: 'batch', bytes: Buffer.byteLength(content), status: 'processed' });
    expect(file.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    expect(file.expires_at! - file.created_at).toBe(30 * 86400); // batch files expire after 30 days by default
    expect((await client().files.retrieve(file.id)).id).toBe(file.id);
    const body = await client().files.content(file.id);
    expect(await body.text()).toBe(content);
    expect(await client().files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    const gone = await client().files.retrieve(file.id).catch((e) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone.message).toContain('No such File object');
    expect(existsSync(`${gw.files.dir}/${file.id}`)).toBe(false);
  });

  test('other purposes, any file name; expires_after', async () => {
    const f = await client().files.create({ file: await toFile(Buffer.from('just notes'), 'notes.txt'), purpose: 'user_data', expires_after: { anchor: 'created_at', seconds: 7200 } });
    expect(f.purpose).toBe('user_data');
    expect(f.expires_at! - f.created_at).toBe(7200);
    const bad = await client().files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'fine-tune' }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe('purpose');
  });

  test('batch files are validated line by line; nothing is stored on failure', async () => {
    const cases: [string[], string][] = [
      [[line('a'), '{not json'], 'line 2: not valid JSON'],
      [[line('a'), line('a')], 'line 2: duplicate custom_id "a"'],
      [[line('a'), JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: { model: 'chat' } })], 'line 2: custom_id is missing'],
      [[line('a', 'chat', { method: 'GET' })], 'line 1: method must be "POST"'],
      [[line('a', 'chat', { url: '/v1/audio/speech' })], 'line 1: url must be one of'],
      [[line('a'), line('b', 'chat', { url: '/v1/completions' })], 'line 2: every line must use the same url'],
      [[line('a', 'nope')], 'line 1: the model `nope` does not exist'],
      [[line('a', 'embed')], 'line 1: the model embed does not serve /v1/chat/completions'],
      [[line('a'), line('b', 'secret')], 'line 2: every line must use the same model'],
      [[line('a', 'chat', { body: { model: 'chat', stream: true, messages: [] } })], 'line 1: streaming is not available'],
      [Array.from({ length: 51 }, (_, i) => line(`id${i}`)), 'line 51: more than 50 requests'],
    ];
    const before = readdirSync(gw.files.dir).length;
    for (const [lines, message] of cases) {
      const err = await client().files.create({ file: await toFile(Buffer.from(jsonl(lines)), 'b.jsonl'), purpose: 'batch' }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toContain(message);
      expect(err.param).toBe('file');
    }
    expect(readdirSync(gw.files.dir).length).toBe(before);
    expect(readdirSync(`${gw.files.dir}/.incoming`)).toEqual([]);
  });

  test('an excluded model is refused in a batch file like an unknown one', async () => {
    const u = await gw.directory.createUser(`nosecret-${Math.random()}@example.com`, await gw.directory.defaultOrgId());
    await gw.directory.updateUser(u.id, { excludedModels: ['chat'] });
    const key = (await gw.directory.tokens.createKey(u.id)).key;
    gw.keys.reload();
    const err = await client(key).files.create({ file: await toFile(Buffer.from(jsonl([line('a', 'main')])), 'b.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(err.message).toContain('the model `main` does not exist');
  });

  test('size limits and the storage quota → 413; missing fields → 400; wrong content type → 415', async () => {
    const big = await client().files.create({ file: await toFile(Buffer.alloc(70 * 1024, 120), 'big.bin'), purpose: 'user_data' }).catch((e) => e);
    expect(big.status).toBe(413);
    const bigBatch = await client().files.create({ file: await toFile(Buffer.from(jsonl(Array.from({ length: 40 }, (_, i) => line(`x${i}`.padEnd(800, 'x'))))), 'b.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(bigBatch.status).toBe(413);
    // Fill the 256 KB quota of a fresh user.
    const u = await gw.directory.createUser(`quota-${Math.random()}@example.com`, await gw.directory.defaultOrgId());
    const key = (await gw.directory.tokens.createKey(u.id)).key;
    gw.keys.reload();
    for (let i = 0; i < 4; i++) await client(key).files.create({ file: await toFile(Buffer.alloc(60 * 1024), `f${i}`), purpose: 'user_data' });
    const over = await client(key).files.create({ file: await toFile(Buffer.alloc(60 * 1024), 'f5'), purpose: 'user_data' }).catch((e) => e);
    expect(over.status).toBe(413);
    expect(over.message).toContain('Storage limit');
    const missing = await fetch(`${url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` }, body: (() => { const f = new FormData(); f.append('purpose', 'batch'); return f; })() });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('file');
    const json = await fetch(`${url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}`, 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
  });

  test('list: purpose filter, order, and SDK auto-pagination visiting every file exactly once', async () => {
    const u = await gw.directory.createUser(`lister-${Math.random()}@example.com`, await gw.directory.defaultOrgId());
    const key = (await gw.directory.tokens.createKey(u.id)).key;
    gw.keys.reload();
    const made: string[] = [];
    for (let i = 0; i < 25; i++) made.push((await client(key).files.create({ file: await toFile(Buffer.from(`n${i}`), `n${i}.txt`), purpose: i % 5 === 0 ? 'vision' : 'user_data' })).id);
    const seen: string[] = [];
    for await (const f of client(key).files.list({ limit: 4 })) seen.push(f.id);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].reverse()).toEqual(made); // newest first
    const asc: string[] = [];
    for await (const f of client(key).files.list({ limit: 7, order: 'asc' })) asc.push(f.id);
    expect(asc).toEqual(made);
    const vision = await client(key).files.list({ purpose: 'vision' });
    expect(vision.data.map((f) => f.id).sort()).toEqual(made.filter((_, i) => i % 5 === 0).sort());
    const page = await fetch(`${url}/v1/files?limit=10`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json() as Promise<{ first_id: string; last_id: string; has_more: boolean }>);
    expect(page).toMatchObject({ first_id: made[24], last_id: made[15], has_more: true });
  });

  test("another owner's file, a service account's file, odd and traversal ids → 404 (identical to missing)", async () => {
    const mine = await client().files.create({ file: await toFile(Buffer.from('private'), 'p.txt'), purpose: 'user_data' });
    const u = await gw.directory.createUser(`other-${Math.random()}@example.com`, await gw.directory.defaultOrgId());
    const other = (await gw.directory.tokens.createKey(u.id)).key;
    const team = await gw.directory.createTeam(await gw.directory.defaultOrgId(), `t-${Math.random()}`);
    const sa = (await gw.directory.createServiceAccount(team.id, 'bot', '', u.id)).key;
    gw.keys.reload();
    const bodies = new Set<string>();
    for (const key of [other, sa]) {
      for (const path of [`/v1/files/${mine.id}`, `/v1/files/${mine.id}/content`]) {
        const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(404);
        bodies.add(JSON.stringify(((await res.json()) as { error: object }).error).replace(mine.id, 'ID'));
      }
      const del = await fetch(`${url}/v1/files/${mine.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
      expect(del.status).toBe(404);
      expect((await client(key).files.list()).data.map((f) => f.id)).not.toContain(mine.id);
    }
    const missing = await fetch(`${url}/v1/files/file-AAAAAAAAAAAAAAAAAAAAAAAA`, { headers: { authorization: `Bearer ${other}` } });
    bodies.add(JSON.stringify(((await missing.json()) as { error: object }).error).replace('file-AAAAAAAAAAAAAAAAAAAAAAAA', 'ID'));
    expect(bodies.size).toBe(1);
    for (const odd of ['..%2F..%2Faqueduct.db', '%2e%2e', 'file-..', "file-x' OR '1'='1", 'file-%00', '.incoming']) {
      const res = await fetch(`${url}/v1/files/${odd}/content`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
      expect([400, 404]).toContain(res.status);
    }
    // The service account sees its team's files, not its creator's.
    const teamFile = await client(sa).files.create({ file: await toFile(Buffer.from('team'), 't.txt'), purpose: 'user_data' });
    expect((await client(sa).files.list()).data.map((f) => f.id)).toEqual([teamFile.id]);
    expect((await client(other).files.list()).data.map((f) => f.id)).not.toContain(teamFile.id);
  });

  test('expired files disappear and are swept from disk', async () => {
    const f = await client().files.create({ file: await toFile(Buffer.from('soon gone'), 'e.txt'), purpose: 'user_data' });
    gw.db.sqlite.run('UPDATE files SET expires_at = ? WHERE id = ?', [Date.now() - 1, f.id]);
    expect(await client().files.retrieve(f.id).catch((e) => e.status)).toBe(404);
    expect(await gw.files.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(existsSync(`${gw.files.dir}/${f.id}`)).toBe(false);
  });
});
