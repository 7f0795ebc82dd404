/**
 * "My keys" and the keys of those a caller manages: list, create, rename (and set limits), revoke. One
 * implementation of the rules, used by the /admin API and the console alike: out-of-reach keys and users
 * are 404 (Reach), the per-user cap binds everyone but an admin creating a key for someone else.
 */
import type { Directory } from './directory';
import type { Limits } from './key-cache';
import { assertMayChangePolicy } from './policy-rules';
import { forbidden, type Reach } from './reach';
import type { KeyInfo } from './tokens';

/** The user whose keys a request is about: the caller's own unless another (managed) user is named. */
async function ownerFor(reach: Reach, userId: number | undefined): Promise<number> {
  const owner = userId ?? reach.p.userId;
  // A service-account key has no keys of its own to manage; reaching a user goes through the rules.
  if (owner !== reach.p.userId || reach.isServiceAccount) await reach.user(owner, 'manage');
  return owner;
}

/** Personal keys (revoked ones included, newest last) of the caller or of a user they manage. */
export async function listKeys(dir: Directory, reach: Reach, userId?: number): Promise<KeyInfo[]> {
  return dir.tokens.listKeys({ userId: await ownerFor(reach, userId), includeServiceAccounts: false });
}

export interface NewKey {
  name?: string;
  /** Lifetime in ms; none: the key never expires. */
  expiresInMs?: number;
  /** Another user's key (managers only). */
  userId?: number;
}

/** Creates a personal key; the raw key is in the answer once, only its hash is stored. */
export async function createKey(dir: Directory, reach: Reach, maxKeysPerUser: number, req: NewKey, now = Date.now()): Promise<KeyInfo & { key: string }> {
  const userId = await ownerFor(reach, req.userId);
  // The cap binds users and org-admins; an admin creating a key for someone else is not bound by it
  // (like the operator's CLI), so an operator can always hand out a key.
  const bound = !(reach.isAdmin && userId !== reach.p.userId);
  // Count and insert in one write transaction, the user's row locked first (tokens.lockUser), so two
  // requests at once cannot both pass the cap.
  const created = await dir.tokens.transaction(async (tokens) => {
    if (bound) {
      await tokens.lockUser(userId);
      if ((await tokens.personalKeyCount(userId, now)) >= maxKeysPerUser) {
        throw forbidden(`Key limit reached: a user may hold ${maxKeysPerUser} personal keys. Revoke one first.`);
      }
    }
    const expiresAt = req.expiresInMs !== undefined ? now + req.expiresInMs : null;
    return tokens.createKey(userId, req.name ?? '', expiresAt);
  });
  return { ...(await dir.tokens.key(created.id))!, key: created.key };
}

/** Renames a key and/or sets its own limits (limits: org admins only, and only tightening for non-admins). */
export async function updateKey(dir: Directory, reach: Reach, id: number, patch: { name?: string } & Partial<Limits>): Promise<KeyInfo> {
  const key = await reach.key(id);
  const { name, ...limits } = patch;
  if (Object.keys(limits).length > 0 && !reach.setPolicyOf(key.orgId)) throw forbidden('Only org admins set key limits.');
  await assertMayChangePolicy(reach, dir, { key }, limits);
  await dir.tokens.updateKey(key.id, { ...(name !== undefined ? { name } : {}), ...limits });
  return (await dir.tokens.key(key.id))!;
}

/** Revokes a key; revoking one already revoked changes nothing. */
export async function revokeKey(dir: Directory, reach: Reach, id: number): Promise<KeyInfo> {
  const key = await reach.key(id);
  await dir.tokens.revokeKey(key.id);
  return key;
}
