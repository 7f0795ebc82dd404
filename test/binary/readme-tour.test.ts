/**
 * The README's quick tour, run verbatim (only the port differs) against the compiled binary started the
 * way `make run` starts it on a fresh clone: no router config, so `--demo`. Every step must print what a
 * newcomer expects to see; a README edit that breaks a command breaks this test.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startBinary, tempDir, type RunningBinary } from '../support/binary';

const ROOT = join(import.meta.dir, '../..');

/** The sh block that follows the quick-tour marker in README.md. */
export function quickTour(readme: string): string {
  const marker = readme.indexOf('<!-- quick-tour:');
  if (marker < 0) throw new Error('README.md has no quick-tour marker');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!block) throw new Error('no sh block after the quick-tour marker');
  return block[1]!;
}

let gw: RunningBinary;
beforeAll(async () => {
  // A directory laid out like the repository for the tour's relative paths (dist/, examples/ and the
  // openai package the example scripts import), with its own data/.
  const cwd = tempDir('aq-tour-');
  for (const name of ['dist', 'examples', 'node_modules']) symlinkSync(join(ROOT, name), join(cwd, name));
  gw = await startBinary({ cwd, args: ['--demo'] });
});
afterAll(async () => {
  await gw?.stop();
});

test("the README's quick tour works verbatim on a fresh start with no provider key", async () => {
  const port = new URL(gw.url).port;
  const script = quickTour(readFileSync(join(ROOT, 'README.md'), 'utf8')).replaceAll('localhost:8000', `127.0.0.1:${port}`);
  const proc = Bun.spawn(['bash', '-euo', 'pipefail', '-c', script], {
    cwd: gw.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: gw.cwd, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`the tour failed (exit ${code}):\n${out}\n${err}`);

  // The model list, twice: with the admin key and with the key created a moment before.
  expect(out.split('"id":"demo-chat","object":"model"').length - 1).toBe(2);
  expect(out).toContain('"content":"Hello, Aqueduct!"');
  expect(out).toMatch(/"object":"response".*"output":\[\{"id":"msg_\w+","type":"message","status":"completed","role":"assistant","content":\[\{"type":"output_text","text":"Hello, Responses!"/);
  // The stream: word by word, then [DONE].
  expect(out).toContain('"delta":{"content":"one"}');
  expect(out).toContain('"delta":{"content":" time"}');
  expect(out).toContain('data: [DONE]');
  expect(out).toMatch(/"object":"embedding","index":0,"embedding":\[(-?[\d.e-]+,){3}-?[\d.e-]+\]/);
  // The SDK scripts.
  expect(out).toContain('models: demo-chat, demo-completion, demo-embedding, demo-tts, demo-image, demo-transcribe');
  expect(out).toContain('chat: Hello from the openai SDK! (5 in, 5 out)');
  expect(out).toContain('stream: streamed word by word');
  expect(out).toMatch(/batch: batch_\S+ completed \{"total":3,"completed":3,"failed":0\}/);
  expect(out).toContain('question-1: 200 What is a gateway?');
  expect(out).toContain('question-3: 200 Why files?');
  // The usage report, from the API and from the command line.
  expect(out).toContain('"object":"usage.report"');
  expect(out).toMatch(/"group":"demo-chat"/);
  expect(out).toMatch(/^demo-chat\s+\d+/m);
  expect(err).not.toMatch(/error|warn/i);
}, 60_000);
