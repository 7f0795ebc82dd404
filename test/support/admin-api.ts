/**
 * The management API of a running gateway, as an admin calls it: for tests and benches that make users and keys
 * over HTTP (on PostgreSQL-backed nodes there is no local database file to seed).
 */
export interface AdminApi {
  /** A JSON call; a non-2xx answer throws with its status and body. */
  call<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<T>;
  /** A new user with a key, both made through the gateway at `base`. */
  newUserKey(base: string): Promise<{ id: number; key: string; userId: number }>;
}

export function adminApi(adminKey: string): AdminApi {
  let users = 0;
  const call = async <T>(base: string, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${base}${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    call,
    async newUserKey(base) {
      const user = await call<{ id: number }>(base, 'POST', '/admin/users', { email: `u${++users}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com` });
      const key = await call<{ id: number; key: string }>(base, 'POST', '/admin/keys', { user_id: user.id });
      return { id: key.id, key: key.key, userId: user.id };
    },
  };
}
