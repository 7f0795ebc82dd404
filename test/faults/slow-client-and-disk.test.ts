/** A client that reads slowly holds the upstream back (bounded memory); a disk that fills mid-upload stores nothing. */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FileStore } from '../../src/domain/files/file-store';
import { MockUpstream } from '../support/mock-upstream';
import { testGateway } from '../support/app';
import { tempDir } from '../support/binary';

const mock = new MockUpstream().start();
afterAll(() => mock.stop());

describe('slow-reading client', () => {
  test('a client that stops reading holds the upstream back: the gateway does not buffer the stream', async () => {
    // 2,000,000 chunks (~400 MB) are ready upstream; the client reads the headers and then nothing.
    mock.profiles.set('long', { latencyMs: 0, chunkDelayMs: 0, extraWords: 2_000_000 });
    const gw = testGateway({ routerYaml: `model_list:\n  - model_name: m\n    litellm_params: { model: openai/up, api_base: "${mock.base('long')}" }\n` });
    const url = new URL(gw.listen());
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${gw.adminKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause(); // stop reading: TCP backpressure all the way up
    await Bun.sleep(1500);
    const produced = mock.received.at(-1)!.chunksSent ?? 0;
    // Only what fits in socket buffers and a few chunks in flight has been produced — not the whole answer.
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(400_000);
    await Bun.sleep(500);
    expect(mock.received.at(-1)!.chunksSent! - produced).toBeLessThan(50_000); // and it has stopped
    socket.destroy();
    for (let i = 0; i < 200 && mock.received.at(-1)!.abortedAt === undefined; i++) await Bun.sleep(10);
    expect(mock.received.at(-1)!.abortedAt).toBeDefined();
    gw.close();
    mock.profiles.delete('long');
  }, 20_000);
});

describe('a disk that fills during an upload', () => {
  const mount = join(tempDir('aq-full-'), 'small');
  mkdirSync(mount);
  const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount]).exitCode === 0;
  if (!mounted) console.warn('cannot mount a small tmpfs here (needs root): skipping the disk-full test');
  afterAll(() => {
    if (mounted) Bun.spawnSync(['umount', mount]);
  });

  test.skipIf(!mounted)('→ 507 with a clear message; no partial file on disk and no row', async () => {
    const gw = testGateway();
    const store = new FileStore(gw.db.sql, mount);
    const form = new FormData();
    form.append('purpose', 'user_data');
    form.append('file', new Blob([new Uint8Array(2 * 1024 * 1024)]), 'big.bin');
    const { receiveUpload } = await import('../../src/domain/files/upload');
    const { multipartUpload } = await import('../../src/http/multipart');
    const request = new Request('http://localhost/v1/files', { method: 'POST', body: form });
    const principal = (await gw.keys.authenticate(gw.adminKey))!;
    const err = await receiveUpload(multipartUpload(request, 60_000), store, principal, { maxFileSize: 64 * 1024 * 1024, maxBatchFileSize: 1, maxBatchLines: 1, storagePerOwner: 1e12, purposes: ['user_data'], batchFileExpiryMs: 1 }, () => undefined).catch((e) => e);
    expect(err.kind).toBe('no_space');
    expect(err.message).toContain('ran out of disk space');
    expect(readdirSync(join(mount, 'files')).filter((f) => f !== '.incoming')).toEqual([]);
    expect(readdirSync(join(mount, 'files', '.incoming'))).toEqual([]);
    expect(gw.db.sqlite.query('SELECT count(*) AS n FROM files').get()).toEqual({ n: 0 });
    gw.close();
  });
});
