/**
 * A real S3-compatible server for tests: s3rver (npm, pinned) on 127.0.0.1, a free port, a temp directory, one
 * bucket. It parses SigV4-signed requests as Bun.S3Client sends them and refuses an unknown access key id (the
 * account is S3RVER/S3RVER), but it does NOT verify SigV4 signatures (s3rver 3.7.1: "unimplemented"), so a wrong
 * secret passes here. Every request it receives is recorded, so a test can see that a large upload went through
 * multipart.
 */
import S3rver from 's3rver';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3Request {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The request's Content-Length (a part's size, for an UploadPart). */
  bytes: number;
}

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The standard environment a gateway reads (endpoint, region, credentials). */
  env: Record<string, string>;
  /** Every request received so far, in order. */
  requests: S3Request[];
  /** The bucket's objects (key → size), read directly from the server. */
  objects(prefix?: string): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'aqueduct-test'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'aq-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const requests: S3Request[] = [];
  // First in Koa's chain: sees every request, also those refused later (bad signature).
  server.middleware.unshift(async (ctx, next) => {
    requests.push({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.querystring), bytes: Number(ctx.get('content-length') || 0) });
    await next();
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  const client = new Bun.S3Client({ endpoint, bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  return {
    endpoint,
    bucket,
    env,
    requests,
    async objects(prefix = '') {
      const out = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await client.list({ prefix, ...(token ? { continuationToken: token } : {}) });
        for (const o of page.contents ?? []) out.set(o.key, o.size ?? 0);
        token = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
