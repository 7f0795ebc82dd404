/** /swagger of the compiled binary, rendered by headless Chromium with every outside host unreachable. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { findChromium, renderedDom } from '../support/chromium';
import { startBinary, type RunningBinary } from '../support/binary';

const chromium = findChromium();
if (!chromium) console.warn("chromium not found: skipping the /swagger browser test (make test installs Debian's chromium where it can)");

describe.skipIf(!chromium)('/swagger in a browser', () => {
  let gw: RunningBinary;
  beforeAll(async () => {
    gw = await startBinary();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('renders the operations from assets inside the binary, offline', async () => {
    const dom = await renderedDom(chromium!, `${gw.url}/swagger`, { screenshot: join(gw.cwd, 'swagger.png') });
    expect(dom).toContain('Aqueduct AI Gateway');
    // Swagger UI renders one .opblock per operation, with its path.
    expect(dom).toContain('opblock');
    expect(dom).toContain('/v1/models');
    expect(dom).toContain('/health');
    expect(dom).not.toContain('Failed to load API definition');
  }, 60_000);

  test('/swagger/json is OpenAPI 3.1 with every public route and the bearer scheme', async () => {
    const doc = (await (await fetch(`${gw.url}/swagger/json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>>;
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    };
    expect(doc.openapi).toStartWith('3.1');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/mcp-servers',
      '/metrics',
      '/ready',
      '/mcp-servers/{name}/mcp',
      '/v1/audio/speech',
      '/v1/audio/transcriptions',
      '/v1/audio/translations',
      '/v1/batches',
      '/v1/batches/{id}',
      '/v1/batches/{id}/cancel',
      '/v1/chat/completions',
      '/v1/completions',
      '/v1/embeddings',
      '/v1/files',
      '/v1/files/{id}',
      '/v1/files/{id}/content',
      '/v1/images/generations',
      '/v1/messages',
      '/v1/messages/count_tokens',
      '/v1/models',
      '/v1/models/{model}',
      '/v1/responses',
      '/v1/responses/{id}',
      '/v1/responses/{id}/input_items',
      ...[
        '/admin/keys',
        '/admin/keys/{id}',
        '/admin/me',
        '/admin/orgs',
        '/admin/orgs/{id}',
        '/admin/service-accounts/{id}',
        '/admin/teams',
        '/admin/teams/{id}',
        '/admin/teams/{id}/members',
        '/admin/teams/{id}/members/{userId}',
        '/admin/teams/{id}/service-accounts',
        '/admin/usage',
        '/admin/users',
        '/admin/users/{id}',
      ],
    ].sort());
    expect(doc.paths['/admin/teams/{id}']!.patch!.security).toEqual([{ bearerAuth: [] }]);
    const chat = doc.paths['/v1/chat/completions']!.post!;
    expect(chat.requestBody!.content['application/json']!.schema.required).toEqual(['model', 'messages']);
    expect(Object.keys(chat.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '429', '502', '503', '504']));
    const list = doc.paths['/v1/models']!.get!;
    expect(list.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '401']));
  });
});
