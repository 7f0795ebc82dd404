/** AQUEDUCT_FILE_STORE: the forms it accepts, what it refuses, and what check-config finds out about the store. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { fileStoreLocation } from '../../src/config/file-store';
import { resolveSettings } from '../../src/config/settings';
import { openByteStore } from '../../src/store/open-store';
import { s3Options } from '../../src/store/s3-store';
import { startS3, type TestS3 } from '../support/services/s3';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3('check-bucket');
});
afterAll(() => s3.stop());

async function checkConfig(env: Record<string, string>, ...argv: string[]) {
  let out = '';
  let err = '';
  const cwd = mkdtempSync(join(tmpdir(), 'aq-fs-check-'));
  const code = await main(['check-config', '--data-dir', join(cwd, 'data'), ...argv], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  return { code, out, err };
}

describe('AQUEDUCT_FILE_STORE', () => {
  test('unset or empty: <data-dir>/files; s3://bucket[/prefix]; an absolute directory', () => {
    expect(resolveSettings(new Map(), {}).settings.fileStore).toBeUndefined();
    expect(resolveSettings(new Map(), { AQUEDUCT_FILE_STORE: '' }).settings.fileStore).toBeUndefined();
    expect(fileStoreLocation(undefined, '/srv/aq')).toEqual({ kind: 'directory', dir: '/srv/aq/files' });
    expect(fileStoreLocation('s3://my-bucket', '/d')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(fileStoreLocation('s3://my.bucket/a/b/', '/d')).toEqual({ kind: 's3', bucket: 'my.bucket', prefix: 'a/b/' });
    expect(fileStoreLocation('/mnt/shared/files', '/d')).toEqual({ kind: 'directory', dir: '/mnt/shared/files' });
    const { settings, problems } = resolveSettings(new Map([['--file-store', 's3://b-1/p']]), { AQUEDUCT_FILE_STORE: '/x' });
    expect(problems).toEqual([]);
    expect(settings.fileStore).toBe('s3://b-1/p'); // the flag wins
  });

  test('anything else is a problem naming the value and what is expected', () => {
    const cases: [string, string][] = [
      ['relative/dir', 'expected s3://bucket/prefix or an absolute directory path'],
      ['https://bucket.example/x', 'only s3:// URLs are supported'],
      ['s3://', 'expected s3://bucket/prefix'],
      ['s3://Bad_Bucket/x', '"Bad_Bucket" is not a valid bucket name'],
      ['s3://ok-bucket/a/../b', 'is not a usable key prefix'],
    ];
    for (const [value, message] of cases) {
      const { settings, problems } = resolveSettings(new Map(), { AQUEDUCT_FILE_STORE: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toStartWith(`AQUEDUCT_FILE_STORE=${JSON.stringify(value)}: `);
      expect(problems[0]).toContain(message);
      expect(settings.fileStore).toBeUndefined();
    }
  });

  test('the S3 client reads the standard AWS_* names first, then the S3_* ones', () => {
    const loc = { bucket: 'b', prefix: '' };
    expect(s3Options(loc, { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3', AWS_DEFAULT_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })).toEqual({
      bucket: 'b', endpoint: 'http://s3', region: 'eu-west-1', accessKeyId: 'k', secretAccessKey: 's', sessionToken: 't',
    });
    expect(s3Options(loc, { S3_ENDPOINT: 'http://x', S3_REGION: 'r', S3_ACCESS_KEY_ID: 'k2', S3_SECRET_ACCESS_KEY: 's2', AWS_REGION: 'r1' })).toEqual({
      bucket: 'b', endpoint: 'http://x', region: 'r1', accessKeyId: 'k2', secretAccessKey: 's2',
    });
  });

  test('a directory named on purpose must exist (a missing mount is not silently replaced by a local directory)', () => {
    expect(() => openByteStore('/no/such/mount/aq-files', '/tmp', {})).toThrow('the directory /no/such/mount/aq-files does not exist');
  });
});

describe('check-config probes the file store', () => {
  test('a reachable bucket with accepted credentials: exit 0, and the probe object is gone again', async () => {
    const r = await checkConfig(s3.env, '--file-store', `s3://${s3.bucket}/aq`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`file store s3://${s3.bucket}/aq (writable)`);
    expect([...(await s3.objects()).keys()]).toEqual([]);
  });

  test('refused credentials, a missing bucket, a missing directory: exit 1 naming the problem', async () => {
    const wrongKey = await checkConfig({ ...s3.env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY' }, '--file-store', `s3://${s3.bucket}/aq`);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toContain(`AQUEDUCT_FILE_STORE="s3://${s3.bucket}/aq": s3://${s3.bucket}/aq/: InvalidAccessKeyId`);
    const noBucket = await checkConfig(s3.env, '--file-store', 's3://nowhere-bucket');
    expect(noBucket.code).toBe(1);
    expect(noBucket.err).toContain('s3://nowhere-bucket/: NoSuchBucket');
    const noDir = await checkConfig({}, '--file-store', '/no/such/mount/aq-files');
    expect(noDir.code).toBe(1);
    expect(noDir.err).toContain('the directory /no/such/mount/aq-files does not exist');
  });

  test('an endpoint that refuses connections is a problem, not a hang', async () => {
    const r = await checkConfig({ ...s3.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, '--file-store', `s3://${s3.bucket}`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`AQUEDUCT_FILE_STORE="s3://${s3.bucket}": s3://${s3.bucket}/: ConnectionRefused`);
  });
});
