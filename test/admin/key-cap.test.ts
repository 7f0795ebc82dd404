/**
 * The per-user key cap (AQUEDUCT_MAX_KEYS_PER_USER, 3 by default) counts live personal keys only, and binds
 * users and org-admins; an admin creating a key for someone else is not bound (README, settings help).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { testGateway } from '../support/app';

const gw = testGateway();
afterAll(() => gw.close());
const dir = gw.directory;
const org = await dir.createOrg('cap-org');
const orgAdmin = await dir.createUser('boss@cap.example', org.id, 'org-admin');
const orgAdminKey = (await dir.tokens.createKey(orgAdmin.id, 'main')).key;
let n = 0;
/** A user already holding `live` live keys (the first one returned), plus `expired` expired and `revoked` revoked ones. */
async function userWith(live: number, expired = 0, revoked = 0) {
  const user = await dir.createUser(`u${++n}@cap.example`, org.id);
  const keys = await Promise.all(Array.from({ length: live }, async (_, i) => (await dir.tokens.createKey(user.id, `live${i}`)).key));
  for (let i = 0; i < expired; i++) await dir.tokens.createKey(user.id, `old${i}`, Date.now() - 1000);
  for (let i = 0; i < revoked; i++) await dir.tokens.revokeKey((await dir.tokens.createKey(user.id, `gone${i}`)).id);
  gw.keys.reload();
  return { user, key: keys[0]! };
}
const create = (key: string, body: object = {}) => gw.request('POST', '/admin/keys', { key, body: { name: 'new', ...body } });

describe('key cap', () => {
  test('expired and revoked keys do not count toward the cap', async () => {
    const u = await userWith(2, 2, 2);
    expect((await create(u.key)).status).toBe(200); // 3 live keys now
    const refused = await create(u.key);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.code).toBe('permission_denied');
    expect(body.error.message).toContain('3 personal keys');
  });

  test('an org-admin creating a key for a user at the cap is refused', async () => {
    const u = await userWith(3);
    expect((await create(orgAdminKey, { user_id: u.user.id })).status).toBe(403);
  });

  test('an admin creating a key for someone else is not bound by the cap', async () => {
    const u = await userWith(3);
    const res = await create(gw.adminKey, { user_id: u.user.id });
    expect(res.status).toBe(200);
    expect(await dir.tokens.personalKeyCount(u.user.id)).toBe(4);
  });
});
