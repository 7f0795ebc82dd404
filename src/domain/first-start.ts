/**
 * First start: on a database with no users, create the default org, an admin user and an admin key, and
 * write the key to <data-dir>/initial-admin-key (mode 0600). The key is never printed; only the file's path.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenService } from './tokens';

export const INITIAL_ADMIN_EMAIL = 'admin@localhost';
export const INITIAL_KEY_FILE = 'initial-admin-key';

/** Returns the path of the key file when this call created the admin, else undefined. */
export function bootstrapAdmin(tokens: TokenService, dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, INITIAL_KEY_FILE);
  // One transaction: if the file cannot be written, no admin is created and the next start tries again.
  return tokens.transaction(async (t) => {
    if ((await t.userCount()) > 0) return undefined;
    const { id, created } = await t.ensureUser(INITIAL_ADMIN_EMAIL, 'admin');
    // Another node sharing the database (PostgreSQL) created the admin meanwhile: the key is its to hand out.
    if (!created) return undefined;
    const { key } = await t.createKey(id, 'initial admin key');
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    chmodSync(path, 0o600); // the mode above applies only when the file is new
    return path;
  });
}
