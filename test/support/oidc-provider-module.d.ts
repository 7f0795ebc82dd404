// oidc-provider ships no types (the @types package lags the 9.x line); the tests use this much of it.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown> & { findAccount?: (ctx: unknown, sub: string) => Promise<unknown> });
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
