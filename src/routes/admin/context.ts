/** What every management route gets: the caller's reach, and `changed()` to apply an access change now. */
import { Elysia } from 'elysia';
import type { AppDeps } from '../../app';
import { Reach } from '../../domain/reach';
import { authenticate } from '../../http/auth';
import { secured } from '../../schemas/common';

export const adminContext = (deps: AppDeps) =>
  new Elysia().resolve({ as: 'scoped' }, ({ request }) => {
    const principal = authenticate(deps.keys, request);
    return {
      principal,
      reach: new Reach(deps.directory, principal),
      // Writes log what they touched for every process; this process applies it right away (reading only
      // the keys touched) so that the change takes effect on the very next request.
      changed: () => deps.keys.refresh(),
    };
  });

export const adminDetail = (operationId: string, summary: string, tag: string, description?: string) => secured(operationId, summary, [`Admin: ${tag}`], description);
