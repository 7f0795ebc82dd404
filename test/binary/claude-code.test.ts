/**
 * Claude Code (the real CLI, @anthropic-ai/claude-code, pinned) pointed at the compiled gateway with
 * ANTHROPIC_BASE_URL and a gateway key, talking to the built-in demo model through /v1/messages: a plain
 * answer, and a turn that uses a tool (tool_use → the CLI runs it → tool_result → the final answer). Its
 * requests carry what a real session does (a 20-odd tool catalogue, mid-conversation system messages,
 * adaptive thinking, cache_control, betas); nothing leaves 127.0.0.1 (its own traffic is switched off).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';

const CLAUDE = join(import.meta.dir, '../../node_modules/.bin/claude');
const available = existsSync(CLAUDE);
if (!available) console.warn('claude (npm @anthropic-ai/claude-code) not installed: skipping the Claude Code test');

interface Result {
  type: string;
  is_error: boolean;
  num_turns: number;
  stop_reason: string;
  result: string;
}

describe.skipIf(!available)('Claude Code through the gateway', () => {
  let gw: RunningBinary;
  let key: string;

  beforeAll(async () => {
    gw = await startBinary({ args: ['--demo'] });
    key = readFileSync(join(gw.cwd, 'data/initial-admin-key'), 'utf8').trim();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  async function claude(prompt: string, tools: string): Promise<Result> {
    const home = tempDir('claude-home-');
    const proc = Bun.spawn([CLAUDE, '-p', prompt, '--model', 'demo-chat', '--output-format', 'json', '--tools', tools], {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        ANTHROPIC_BASE_URL: gw.url,
        ANTHROPIC_API_KEY: key,
        DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_ERROR_REPORTING: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    return JSON.parse(out.trim().split('\n').pop()!) as Result;
  }

  /** demo-chat's usage row once it counts at least `requests` calls (usage is written off the request path). */
  const usage = async (requests: number) => {
    let row: { group: string; requests: number; failures: number } | undefined;
    for (const until = Date.now() + 5_000; (row?.requests ?? 0) < requests && Date.now() < until; await Bun.sleep(100)) {
      const res = await fetch(`${gw.url}/admin/usage?since=1h&group_by=model`, { headers: { authorization: `Bearer ${key}` } });
      row = ((await res.json()) as { data: { group: string; requests: number; failures: number }[] }).data.find((u) => u.group === 'demo-chat');
    }
    return row;
  };

  test('a plain answer: the demo echoes the prompt, the call is metered under the gateway key', async () => {
    const r = await claude('Say hello to the gateway', '');
    expect(r).toMatchObject({ type: 'result', is_error: false, num_turns: 1, stop_reason: 'end_turn' });
    expect(r.result.endsWith('Say hello to the gateway')).toBe(true);
    expect(await usage(1)).toMatchObject({ requests: 1, failures: 0 });
    expect(gw.stdout()).toContain('"path":"/v1/messages"');
  }, 60_000);

  test('a tool turn: the model asks for Read, Claude Code runs it and sends the result back, then the answer', async () => {
    const r = await claude('Read the file', 'Read');
    expect(r).toMatchObject({ is_error: false, num_turns: 2, stop_reason: 'end_turn' });
    // the first test's call, then this one's two (the tool_use turn and the answer after the tool result)
    expect(await usage(3)).toMatchObject({ requests: 3, failures: 0 });
  }, 60_000);
});
