/** A gateway served over HTTP for the official openai SDK, in front of a cloud-provider mock. */
import OpenAI from 'openai';
import { testGateway, type TestGateway } from './app';

export interface CloudFixture {
  gw: TestGateway;
  client(opts?: { maxRetries?: number }): OpenAI;
  /** Forgets the usage rows written so far. */
  clearUsage(): void;
  close(): void;
}

export function cloudFixture(routerYaml: string, env: Record<string, string> = {}): CloudFixture {
  const gw = testGateway({ routerYaml, env });
  const url = gw.listen();
  return {
    gw,
    client: (o = {}) => new OpenAI({ apiKey: gw.adminKey, baseURL: `${url}/v1`, maxRetries: o.maxRetries ?? 0 }),
    clearUsage() {
      gw.usage.flush();
      gw.db.sqlite.run('DELETE FROM usage');
    },
    close: () => gw.close(),
  };
}
