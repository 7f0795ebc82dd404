/**
 * The OpenAPI document (/swagger/json) as its clients use it: valid OpenAPI 3.1 (checked by
 * @readme/openapi-parser), every operation with its answer and its errors in the OpenAI shape, identifier
 * operationIds, and — the way Swagger UI's "Try it out" does — every GET executed with the document's own
 * defaults and examples, and every model endpoint's example body POSTed to a configured model.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { validate } from '@readme/openapi-parser';
import { ErrorResponse } from '../../src/schemas/common';
import { AnthropicErrorResponse } from '../../src/schemas/messages';
import { parseMcpConfig } from '../../src/config/mcp-config';
import { startEverything, type EverythingServer } from '../support/mcp-everything';
import { MockUpstream } from '../support/mock-upstream';
import { testGateway, type TestGateway } from '../support/app';

interface Parameter { name: string; in: string; required?: boolean; schema?: { default?: unknown }; example?: unknown }
interface Response { description: string; content?: Record<string, { schema?: unknown }> }
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { example?: Record<string, unknown> }> };
  responses: Record<string, Response>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

const mock = new MockUpstream(false).start();
mock.profiles.set('d', { latencyMs: 0, chunkDelayMs: 0, extraWords: 0 });
let mcp: EverythingServer;
let gw: TestGateway;
let doc: Doc;
const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

/** Real ids for the path parameters, created through the API as a user would. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  mcp = await startEverything();
  const base = mock.base('d');
  gw = testGateway({
    routerYaml: `
model_list:
  - { model_name: chat, litellm_params: { model: openai/c, api_base: "${base}" }, model_info: { mode: chat } }
  - { model_name: text, litellm_params: { model: openai/t, api_base: "${base}" }, model_info: { mode: completion } }
  - { model_name: embed, litellm_params: { model: openai/e, api_base: "${base}" }, model_info: { mode: embedding } }
  - { model_name: tts, litellm_params: { model: openai/s, api_base: "${base}" }, model_info: { mode: audio_speech } }
  - { model_name: image, litellm_params: { model: openai/i, api_base: "${base}" }, model_info: { mode: image_generations } }
`,
    mcp: parseMcpConfig(JSON.stringify({ mcpServers: { everything: { type: 'streamable-http', url: mcp.url } } }), {}).config,
  });
  doc = (await (await gw.request('GET', '/swagger/json')).json()) as Doc;

  const upload = async (purpose: string, lines: object[]) => {
    const form = new FormData();
    form.append('purpose', purpose);
    form.append('file', new File([lines.map((l) => JSON.stringify(l)).join('\n') + '\n'], 'in.jsonl'));
    const res = await gw.app.handle(new Request('http://localhost/v1/files', { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` }, body: form }));
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  ids.file = await upload('user_data', [{ note: 'hello' }]);
  const input = await upload('batch', [{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'hi' }] } }]);
  const batch = await gw.request('POST', '/v1/batches', { body: { input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '24h' } });
  expect(batch.status).toBe(200);
  ids.batch = ((await batch.json()) as { id: string }).id;
  const response = await gw.request('POST', '/v1/responses', { body: { model: 'chat', input: 'hi' } });
  expect(response.status).toBe(200);
  ids.response = ((await response.json()) as { id: string }).id;

  const org = await gw.directory.createOrg('docs-org');
  const team = await gw.directory.createTeam(org.id, 'docs-team');
  const user = await gw.directory.createUser('member@docs.example', org.id);
  await gw.directory.setMember(team.id, user.id, false);
  const sa = await gw.directory.createServiceAccount(team.id, 'docs-bot', '', user.id);
  gw.keys.reload();
  Object.assign(ids, {
    org: String(org.id),
    team: String(team.id),
    user: String(user.id),
    serviceAccount: String(sa.serviceAccount.id),
    key: String((await gw.tokens.listKeys({ email: 'admin@example.com' }))[0]!.id),
  });
});

afterAll(async () => {
  gw?.close();
  await mcp?.stop();
  await mock.stop();
});

/** The value Swagger UI would send for a path parameter once the user fills it: a real id, or the document's example. */
function pathValue(path: string, p: Parameter): string {
  if (p.name === 'model' || p.name === 'name') {
    expect(p.example).toBeString(); // the document offers a configured model / MCP server
    return p.example as string;
  }
  if (p.name === 'userId') return ids.user!;
  const byPrefix: [string, string][] = [
    ['/v1/files/', ids.file!],
    ['/v1/batches/', ids.batch!],
    ['/v1/responses/', ids.response!],
    ['/admin/keys/', ids.key!],
    ['/admin/orgs/', ids.org!],
    ['/admin/users/', ids.user!],
    ['/admin/teams/', ids.team!],
    ['/admin/service-accounts/', ids.serviceAccount!],
  ];
  const hit = byPrefix.find(([prefix]) => path.startsWith(prefix));
  if (!hit) throw new Error(`the test has no value for path parameter ${p.name} of ${path}: add one`);
  return hit[1];
}

/** The URL Swagger UI builds: path parameters filled, query parameters with a default or example sent. */
function urlFor(path: string, op: Operation): string {
  let url = path;
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(pathValue(path, p)));
    else if (p.in === 'query') {
      const value = p.example ?? p.schema?.default;
      if (value !== undefined) query.set(p.name, String(value));
    }
  }
  const qs = query.toString();
  return qs ? `${url}?${qs}` : url;
}

/**
 * The shape a response schema describes: required keys, and the error object's required and listed keys.
 * (The generator writes `["string","null"]` for one route and `anyOf` for another: compare what matters.)
 */
function errorShape(schema: unknown) {
  const s = schema as { required?: string[]; properties?: { error?: { required?: string[]; properties?: object } } } | undefined;
  return { required: s?.required, errorRequired: s?.properties?.error?.required?.toSorted(), errorKeys: Object.keys(s?.properties?.error?.properties ?? {}).sort() };
}
const OPENAI_ERROR_SHAPE = errorShape(ErrorResponse);
/** Anthropic's API in front (/v1/messages) answers errors in Anthropic's shape. */
const ANTHROPIC_ERROR_SHAPE = errorShape(AnthropicErrorResponse);

/** What a browser on the gateway's own page sends (the MCP routes check Host against DNS rebinding). */
const BROWSER = { host: 'localhost:8000' };

/** Whether the document lists this status for the operation (exactly or as a range such as 4XX). */
const documents = (op: Operation, status: number) => String(status) in op.responses || `${String(status)[0]}XX` in op.responses;

describe('the OpenAPI document', () => {
  test('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toStartWith('3.1');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('every operation documents a success answer and its errors in the OpenAI shape (Anthropic\'s under /v1/messages)', () => {
    const ops = operations();
    expect(ops.length).toBe(56); // 48, the two audio uploads, /v1/messages and its count_tokens, the four Responses operations
    for (const { path, method, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(op.responses);
      expect({ where, success: statuses.filter((s) => s.startsWith('2')).length > 0 }).toEqual({ where, success: true });
      const errors = statuses.filter((s) => /^[45]\d\d$/.test(s));
      expect({ where, has500: errors.includes('500') }).toEqual({ where, has500: true });
      for (const s of errors) {
        const schema = op.responses[s]!.content?.['application/json']?.schema;
        expect({ where, status: s, shape: errorShape(schema) }).toEqual({ where, status: s, shape: path.startsWith('/v1/messages') ? ANTHROPIC_ERROR_SHAPE : OPENAI_ERROR_SHAPE });
      }
      const secured = (op as { security?: unknown[] }).security !== undefined;
      if (secured !== errors.includes('401')) throw new Error(`${where}: a secured operation documents 401, an open one does not`);
    }
  });

  test('the audio uploads are documented as multipart with a required file and model, answered as JSON, text or SSE', () => {
    for (const [path, id] of [['/v1/audio/transcriptions', 'createTranscription'], ['/v1/audio/translations', 'createTranslation']] as const) {
      const op = doc.paths[path]!.post! as any;
      expect(op.operationId).toBe(id);
      expect(Object.keys(op.requestBody.content)).toEqual(['multipart/form-data']);
      const schema = op.requestBody.content['multipart/form-data'].schema;
      expect(schema.required).toEqual(expect.arrayContaining(['file', 'model']));
      expect(schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
      expect(Object.keys(op.responses['200'].content).sort()).toEqual(['application/json', 'text/event-stream', 'text/plain']);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '413', '504']));
    }
  });

  test('operationIds are unique identifiers', () => {
    const idsSeen = operations().map(({ op }) => op.operationId);
    for (const id of idsSeen) expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(new Set(idsSeen).size).toBe(idsSeen.length);
  });

  test('list bounds are stated so that Swagger UI pre-fills a valid value', () => {
    const limit = (path: string) => doc.paths[path]!.get!.parameters!.find((p) => p.name === 'limit')!.schema;
    expect(limit('/v1/files')).toMatchObject({ type: 'integer', minimum: 1, maximum: 10_000, default: 10_000 });
    expect(limit('/v1/batches')).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
  });
});

describe('"Try it out" with the document\'s defaults', () => {
  test('every GET answers 2xx (or a documented refusal), never 5xx', async () => {
    const gets = operations().filter(({ method }) => method === 'get');
    expect(gets.length).toBe(25);
    const outcomes: string[] = [];
    for (const { path, op } of gets) {
      const url = urlFor(path, op);
      const res = await gw.request('GET', url, { headers: BROWSER });
      // An SSE stream (the MCP server-to-client stream) stays open: read its status, not its body.
      await res.body?.cancel();
      const documented = documents(op, res.status);
      outcomes.push(`${url} ${res.status}${documented ? '' : ' (undocumented)'}`);
      expect({ url, status: res.status, documented }).toEqual({ url, status: res.status, documented: true });
      expect(res.status).toBeLessThan(500);
    }
    // Everything but the MCP stream (which needs a session first: the MCP server's own refusal) succeeds.
    expect(outcomes.filter((o) => !/ 2\d\d$/.test(o))).toEqual([expect.stringMatching(/^\/mcp-servers\/everything\/mcp 4\d\d$/)]);
  });

  test('each model endpoint\'s example body reaches a configured model and succeeds', async () => {
    const expected: Record<string, string> = {
      '/v1/chat/completions': 'chat',
      '/v1/completions': 'text',
      '/v1/embeddings': 'embed',
      '/v1/audio/speech': 'tts',
      '/v1/images/generations': 'image',
      '/v1/responses': 'chat',
    };
    for (const [path, model] of Object.entries(expected)) {
      const example = doc.paths[path]!.post!.requestBody!.content['application/json']!.example!;
      expect(example.model).toBe(model);
      const res = await gw.request('POST', path, { body: example, headers: BROWSER });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.arrayBuffer();
    }
  });

  test('the MCP example message initialises a session', async () => {
    const op = doc.paths['/mcp-servers/{name}/mcp']!.post!;
    const example = (op.requestBody!.content['application/json'] as { example: object }).example;
    const res = await gw.request('POST', urlFor('/mcp-servers/{name}/mcp', op), { body: example, headers: { ...BROWSER, accept: 'application/json, text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeString();
    expect(await res.text()).toContain('"serverInfo"');
  });
});
