/** The management API under /admin (bearer keys; documented in /swagger). */
import { Elysia } from 'elysia';
import type { AppDeps } from '../../app';
import { adminKeys } from './keys';
import { adminOrgsUsers } from './orgs-users';
import { adminTeams } from './teams';
import { adminUsage } from './usage';

export const adminRoutes = (deps: AppDeps) => new Elysia().use(adminKeys(deps)).use(adminOrgsUsers(deps)).use(adminTeams(deps)).use(adminUsage(deps));
