/**
 * Hostile query strings and path ids on every list and lookup route: never a 5xx; every refusal in the
 * OpenAI shape; a 400 names the parameter at fault in `param`.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { expectOpenAIError, testGateway } from '../support/app';

const logged: string[] = [];
const gw = testGateway({ log: { debug() {}, info() {}, warn() {}, error: (m) => logged.push(m) } });
afterAll(() => gw.close());
const org = await gw.directory.createOrg('hostile-org');
const team = await gw.directory.createTeam(org.id, 'hostile-team');

/** Raw (already URL-encoded where needed) values; `{name}` is replaced by the parameter's name. */
const VALUES = [
  '0', '-1', '1.5', '1e99', '1e3', 'NaN', 'Infinity', '', 'abc', '0x10', '%205', '+5', '05',
  '9'.repeat(400), 'a'.repeat(20_000), '1&{name}=2', 'a&{name}=b', '%E2%9C%93%F0%9F%98%80', '%00', '%FF',
  "'%20OR%201=1--", '[]', '%7B%22a%22:1%7D', '..%2F..%2Fetc%2Fpasswd',
];

/** List routes and the query parameters they take (`x` is one they do not know). */
const LISTS: Record<string, string[]> = {
  '/v1/files': ['limit', 'after', 'order', 'purpose', 'x'],
  '/v1/batches': ['limit', 'after', 'x'],
  '/v1/models': ['x'],
  '/models': ['x'],
  '/files': ['limit'],
  '/batches': ['limit'],
  '/admin/usage': ['org_id', 'since', 'until', 'group_by', 'bucket', 'x'],
  '/admin/keys': ['user_id', 'x'],
  '/admin/users': ['org_id', 'x'],
  '/admin/teams': ['org_id', 'x'],
  '/admin/orgs': ['x'],
  [`/admin/teams/${team.id}/members`]: ['x'],
  [`/admin/teams/${team.id}/service-accounts`]: ['x'],
  '/admin/me': ['x'],
  '/mcp-servers': ['x'],
};

/** Routes with a numeric id in the path ({id} is replaced by each value). */
const BY_ID = ['/admin/users/{id}', '/admin/orgs/{id}', '/admin/teams/{id}', '/admin/teams/{id}/members', '/admin/teams/{id}/service-accounts'];

interface Outcome { path: string; status: number; param: string | null; expected: string }

/** One GET; a refusal must be in the OpenAI shape and never speak of a body (a GET has none). */
async function attempt(path: string, expected: string): Promise<Outcome> {
  const res = await gw.request('GET', path);
  if (res.status < 400) {
    await res.arrayBuffer();
    return { path, status: res.status, param: null, expected };
  }
  const error = await expectOpenAIError(res, res.status);
  expect(error.message).not.toContain('request body');
  return { path, status: res.status, param: error.param, expected };
}

/** The 400s whose `param` is not the parameter that was tampered with. */
const misnamed = (outcomes: Outcome[]) => outcomes.filter((o) => o.status === 400 && o.param !== o.expected).map((o) => `${o.path.slice(0, 120)} → ${o.param}`);

describe('hostile query parameters', () => {
  test('every list route: no 5xx, OpenAI-shaped refusals, a 400 names its parameter', async () => {
    const outcomes: Outcome[] = [];
    for (const [route, params] of Object.entries(LISTS)) {
      for (const name of params) {
        for (const raw of VALUES) outcomes.push(await attempt(`${route}?${name}=${raw.replaceAll('{name}', name)}`, name));
      }
    }
    const count = (status: number) => outcomes.filter((o) => o.status === status).length;
    // Answers and 400s (the values are neither all refused nor all let through); the only 404s are for
    // another user's keys, a user who does not exist.
    expect([...new Set(outcomes.map((o) => o.status))].sort()).toEqual([200, 400, 404]);
    expect([...new Set(outcomes.filter((o) => o.status === 404).map((o) => o.path.split('=')[0]))]).toEqual(['/admin/keys?user_id']);
    expect(count(200)).toBeGreaterThan(100);
    expect(count(400)).toBeGreaterThan(100);
    expect(misnamed(outcomes)).toEqual([]);
    expect(logged).toEqual([]);
  }, 60_000);

  test('integer parameters: what is refused, and the message', async () => {
    for (const raw of ['0', '-1', '1.5', '1e99', '1e3', 'abc', '', '0x10', '10001', '9'.repeat(30), '%00']) {
      const res = await gw.request('GET', `/v1/files?limit=${raw}`);
      const error = await expectOpenAIError(res, 400);
      expect(error).toMatchObject({ param: 'limit', code: 'invalid_value', type: 'invalid_request_error' });
      expect(error.message).toBe("Invalid value for 'limit': expected an integer from 1 to 10000.");
    }
    for (const raw of ['1', '10000', '05']) expect((await gw.request('GET', `/v1/files?limit=${raw}`)).status).toBe(200);
    expect((await gw.request('GET', '/v1/batches?limit=100')).status).toBe(200);
    expect((await expectOpenAIError(await gw.request('GET', '/v1/batches?limit=101'), 400)).param).toBe('limit');
    expect((await expectOpenAIError(await gw.request('GET', '/v1/batches?limit=1000'), 400)).message).toBe("Invalid value for 'limit': expected an integer from 1 to 100.");
    expect((await expectOpenAIError(await gw.request('GET', '/admin/usage?org_id=1.5'), 400)).param).toBe('org_id');
  });

  test('numeric ids in paths: 400 naming the id, or 404; never 5xx', async () => {
    const outcomes: Outcome[] = [];
    for (const route of BY_ID) {
      for (const raw of VALUES) {
        if (raw === '' || raw.includes('%2F')) continue; // another route, or a path of its own: covered by the 404 test in hostile-input
        outcomes.push(await attempt(route.replace('{id}', raw.replaceAll('{name}', 'id')), 'id'));
      }
    }
    expect([...new Set(outcomes.map((o) => o.status))].sort()).toEqual([400, 404]);
    expect(misnamed(outcomes)).toEqual([]);
    expect((await expectOpenAIError(await gw.request('GET', '/admin/users/1.5'), 400)).param).toBe('id');
    expect((await expectOpenAIError(await gw.request('GET', '/admin/users/1e99'), 400)).param).toBe('id');
    expect((await expectOpenAIError(await gw.request('GET', '/admin/users/abc'), 400)).param).toBe('id');
    expect((await expectOpenAIError(await gw.request('GET', '/admin/users/999999'), 404)).code).toBe('not_found');
    expect((await expectOpenAIError(await gw.request('DELETE', `/admin/teams/${team.id}/members/1.5`), 400)).param).toBe('userId');
    expect((await expectOpenAIError(await gw.request('PATCH', '/admin/keys/0', { body: {} }), 400)).param).toBe('id');
    expect(logged).toEqual([]);
  });
});
