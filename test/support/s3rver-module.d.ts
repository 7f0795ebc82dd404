// s3rver ships no types; the tests use this much of it (a Koa app: `middleware` is Koa's own list).
declare module 's3rver' {
  export default class S3rver {
    constructor(options: { address?: string; port?: number; silent?: boolean; directory: string; configureBuckets?: { name: string; configs: unknown[] }[] });
    middleware: ((ctx: { method: string; path: string; querystring: string; get(header: string): string }, next: () => Promise<void>) => Promise<void>)[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
