/**
 * /ui/deployments ("Deployments", admins only): the live state of the router's deployments, read through
 * ModelCalls (the console does not reach into upstream/). For anyone but an admin the page does not exist.
 */
import { Elysia } from 'elysia';
import { notFound } from '../domain/reach';
import { signedInPage, type ConsoleContext } from './guard';
import { deploymentsPage } from './pages/deployments';
import { page } from './respond';

export const deploymentsRoutes = (ctx: ConsoleContext) => {
  const { deps } = ctx;
  return new Elysia().get(
    '/ui/deployments',
    signedInPage(ctx, ({ who, reach }) => {
      if (!reach.isAdmin) throw notFound('page');
      return page(deploymentsPage({ who, deployments: deps.calls.deployments(), settings: deps.router.settings }));
    }),
  );
};
