/** What every management route gets: the caller's reach, and `changed()` to apply an access change now. */
import { Elysia } from 'elysia';
import type { AppDeps } from '../../app';
import { Reach } from '../../domain/reach';
import { authenticate } from '../../http/auth';
import type { User } from '../../domain/directory';
import { TermsAcceptances } from '../../domain/terms';
import { userJson } from '../../schemas/admin';
import { secured } from '../../schemas/common';

/** Users as the API shows them, with their acceptance of the terms of service (one query per answer). */
export function userViews(deps: AppDeps) {
  const current = () => deps.terms?.current().version;
  const acceptances = new TermsAcceptances(deps.db.sql);
  return {
    async one(u: User) {
      const version = current();
      return userJson(u, { accepted: (await acceptances.latest(version, u.id)).get(u.id), current: version });
    },
    async many(users: User[]) {
      const version = current();
      const accepted = await acceptances.latest(version);
      return users.map((u) => userJson(u, { accepted: accepted.get(u.id), current: version }));
    },
  };
}

export const adminContext = (deps: AppDeps) =>
  new Elysia().resolve({ as: 'scoped' }, async ({ request }) => {
    const principal = await authenticate(deps.keys, request);
    return {
      principal,
      reach: new Reach(deps.directory, principal),
      // Writes log what they touched for every process; this process applies it right away (reading only
      // the keys touched) so that the change takes effect on the very next request (requests wait for it).
      changed: () => deps.keys.refresh(),
    };
  });

export const adminDetail = (operationId: string, summary: string, tag: string, description?: string) => secured(operationId, summary, [`Admin: ${tag}`], description);
