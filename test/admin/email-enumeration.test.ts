/**
 * An org-admin creating users cannot learn whether (or where) an email exists in another org: an email taken
 * anywhere gets the same refusal as a policy refusal (asking for an admin role), word for word.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

const gw = testGateway();
afterAll(() => gw.close());
const dir = gw.directory;
const acme = await dir.createOrg('acme');
const globex = await dir.createOrg('globex');
const boss = await dir.createUser('boss@acme.example', acme.id, 'org-admin');
const bossKey = (await dir.tokens.createKey(boss.id)).key;
await dir.createUser('u1@globex.example', globex.id);
await dir.createUser('u2@acme.example', acme.id);
gw.keys.reload();

const createUser = async (key: string, body: object) => {
  const res = await gw.request('POST', '/admin/users', { key, body });
  return { status: res.status, text: await res.text() };
};

describe('user creation does not reveal other orgs', () => {
  test("another org's email, an own-org email and a policy refusal answer the same", async () => {
    const otherOrg = await createUser(bossKey, { email: 'u1@globex.example' });
    const ownOrg = await createUser(bossKey, { email: 'u2@acme.example' });
    const policy = await createUser(bossKey, { email: 'fresh@acme.example', role: 'admin' });
    expect(otherOrg.status).toBe(403);
    expect(otherOrg).toEqual(policy);
    expect(ownOrg).toEqual(policy);
    const error = (JSON.parse(otherOrg.text) as { error: { code: string; message: string; type: string } }).error;
    expect(error.code).toBe('permission_denied');
    expect(otherOrg.text).not.toContain('exists');
    expect(otherOrg.text).not.toContain('globex');
    // Nothing was created or moved.
    expect((await dir.userByEmail('u1@globex.example'))!.orgId).toBe(globex.id);
    expect(await dir.userByEmail('fresh@acme.example')).toBeUndefined();
  });

  test('a free email is created in the org-admin\'s org; an admin still gets 409 for a taken one', async () => {
    const created = await createUser(bossKey, { email: 'new@acme.example' });
    expect(created.status).toBe(200);
    expect(JSON.parse(created.text).org_id).toBe(acme.id);
    const taken = await createUser(gw.adminKey, { email: 'u1@globex.example', org_id: acme.id });
    expect(taken.status).toBe(409);
  });
});
