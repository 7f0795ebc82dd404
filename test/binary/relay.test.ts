/** The relay inside the compiled binary: openai SDK calls, usage rows, and usage flushed on SIGTERM. */
import { Database } from 'bun:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';
import { burst } from '../support/burst';
import { MockUpstream } from '../support/mock-upstream';

describe('dist/aqueduct relays', () => {
  const mock = new MockUpstream().start();
  let gw: RunningBinary;
  let client: OpenAI;
  let key: string;

  beforeAll(async () => {
    const cwd = tempDir('aq-relay-bin-');
    writeFileSync(
      join(cwd, 'router_config.yaml'),
      `model_list:\n  - model_name: chat\n    litellm_params: { model: openai/up-chat, api_base: "${mock.base('bin')}", api_key: os.environ/UP_KEY }\n    model_info: { aliases: [main] }\n  - model_name: embed\n    litellm_params: { model: openai/up-embed, api_base: "${mock.base('bin')}", api_key: os.environ/UP_KEY }\n    model_info: { mode: embedding }\n`,
    );
    gw = await startBinary({ cwd, env: { UP_KEY: 'sk-up' } });
    key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.stop();
    await mock.stop();
  });

  test('more than 256 upstream calls run at once (Bun fetch queues beyond 256 unless raised)', async () => {
    mock.reset();
    mock.script('bin', ...Array(300).fill({ stallMs: 700 }));
    const statuses = await burst(`${gw.url}/v1/embeddings`, 300, key, { model: 'embed', input: 'x' });
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(mock.maxInFlight).toBe(300);
    mock.reset();
  });

  test('chat (plain and streamed) and embeddings; on SIGTERM every call is in the usage table', async () => {
    const res = await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'hi from the binary' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hi from the binary');
    let text = '';
    for await (const c of await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'stream' }], stream: true })) {
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('echo: stream');
    const emb = await client.embeddings.create({ model: 'embed', input: 'vector' });
    expect(emb.data[0]!.embedding).toHaveLength(8);
    expect(mock.received.every((r) => r.headers.authorization === 'Bearer sk-up')).toBe(true);

    // Stop right away: the queued usage rows must be flushed before exit.
    expect(await gw.stop('SIGTERM')).toBe(0);
    const db = new Database(join(gw.cwd, 'data/aqueduct.db'), { readonly: true });
    const rows = db.query<{ endpoint: string; model: string; stream: number; status: number; input_tokens: number }, []>('SELECT endpoint, model, stream, status, input_tokens FROM usage WHERE id > 300 ORDER BY id').all();
    db.close();
    expect(rows).toEqual([
      { endpoint: 'chat', model: 'chat', stream: 0, status: 200, input_tokens: 7 },
      { endpoint: 'chat', model: 'chat', stream: 1, status: 200, input_tokens: 4 },
      { endpoint: 'embeddings', model: 'embed', stream: 0, status: 200, input_tokens: 1 },
    ]);
  });
});
