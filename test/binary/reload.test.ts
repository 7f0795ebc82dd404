/** SIGHUP re-reads router_config.yaml and mcp.json without dropping connections; a broken file is refused. */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir } from '../support/binary';
import { MockUpstream } from '../support/mock-upstream';

describe('SIGHUP', () => {
  const mock = new MockUpstream(false).start();
  afterAll(() => mock.stop());
  const config = (names: string[]) => `model_list:\n${names.map((n) => `  - model_name: ${n}\n    litellm_params: { model: openai/${n}, api_base: "${mock.base('r')}" }\n`).join('')}`;

  test('new models appear, a stream in flight survives, a broken config keeps the running one', async () => {
    mock.profiles.set('r', { latencyMs: 0, chunkDelayMs: 30, extraWords: 20 });
    const cwd = tempDir('aq-hup-');
    writeFileSync(join(cwd, 'router_config.yaml'), config(['a']));
    const gw = await startBinary({ cwd });
    const key = readFileSync(join(cwd, 'data/initial-admin-key'), 'utf8').trim();
    const models = async () => ((await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(await models()).toEqual(['a']);

    const stream = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a', messages: [{ role: 'user', content: 'long' }], stream: true }),
    }).then((r) => r.text());
    await Bun.sleep(100);
    writeFileSync(join(cwd, 'router_config.yaml'), config(['a', 'b']));
    gw.proc.kill('SIGHUP');
    for (let i = 0; i < 50 && !gw.log().includes('configuration reloaded'); i++) await Bun.sleep(20);
    expect(await models()).toEqual(['a', 'b']);
    const chatB = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'b', messages: [{ role: 'user', content: 'new' }] }) });
    expect(chatB.status).toBe(200);
    await chatB.text();
    expect((await stream).trimEnd().endsWith('data: [DONE]')).toBe(true);

    // an audio_transcriptions model: the reload applies and the model is listed
    writeFileSync(join(cwd, 'router_config.yaml'), `${config(['a', 'b'])}  - model_name: stt\n    litellm_params: { model: openai/whisper-1, api_base: "${mock.base('r')}" }\n    model_info: { mode: audio_transcriptions }\n`);
    gw.proc.kill('SIGHUP');
    for (let i = 0; i < 50 && (await models()).length < 3; i++) await Bun.sleep(20);
    expect(await models()).toEqual(['a', 'b', 'stt']);

    writeFileSync(join(cwd, 'router_config.yaml'), 'model_list:\n  - model_name: c\n    litellm_params: { model: nope/c }\n');
    gw.proc.kill('SIGHUP');
    for (let i = 0; i < 50 && !gw.log().includes('configuration not reloaded'); i++) await Bun.sleep(20);
    expect(gw.log()).toContain('unknown provider prefix "nope"');
    expect(await models()).toEqual(['a', 'b', 'stt']);
    expect(await gw.stop()).toBe(0);
  });
});
