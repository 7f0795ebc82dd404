/** GET /admin/usage: the usage report, limited to what the caller's role covers. */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../../app';
import { parseDurationMs } from '../../config/units';
import { ApiError } from '../../http/api-error';
import { callsFor, type UsageScope } from '../../domain/usage-report';
import type { Reach } from '../../domain/reach';
import { UsageReportView } from '../../schemas/admin-responses';
import { refusals } from '../../schemas/common';
import { idParam } from '../../schemas/params';
import { adminContext, adminDetail } from './context';

/** "1h" (that long ago), unix seconds, or an ISO date → unix ms. */
export function parseTime(raw: string, param: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(raw)) return now - parseDurationMs(raw);
  if (/^\d{9,11}$/.test(raw)) return Number(raw) * 1000;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new ApiError(400, `Invalid value for '${param}': use a duration such as 1h or 7d, unix seconds, or an ISO date.`, { param, code: 'invalid_value' });
  return t;
}

async function scopeOf(reach: Reach, deps: AppDeps, orgId: number | undefined): Promise<UsageScope> {
  const p = reach.p;
  if (reach.isServiceAccount) return { kind: 'key', keyId: p.keyId };
  if (reach.isAdmin) return { kind: 'all', orgId };
  if (reach.manageOrg(p.orgId)) return { kind: 'org', orgId: p.orgId };
  return { kind: 'user', userId: p.userId, teamIds: (await deps.directory.teamsOf(p.userId)).map((m) => m.teamId) };
}

// Elysia's OpenAPI output drops the descriptions of literal unions (kept here for readers): the route's
// description repeats them. t.UnionEnum would keep them but adds a default, which would break calls' default.
const groupBy = t.Union(
  [t.Literal('model'), t.Literal('key'), t.Literal('user'), t.Literal('team'), t.Literal('org'), t.Literal('user_id'), t.Literal('mcp_server'), t.Literal('mcp_tool')],
  { description: 'Group rows by this (default model). model counts model calls; mcp_server and mcp_tool (as "server/tool", tools/call only) count MCP calls; the others count what `calls` says' },
);
const bucket = t.Union([t.Literal('minute'), t.Literal('hour'), t.Literal('day')], { description: 'One row per group and bucket; bucket_start is the bucket\'s first second (Unix seconds)' });
const calls = t.Union([t.Literal('model'), t.Literal('mcp')], { description: 'Count model calls or MCP calls; default mcp for group_by=mcp_server or mcp_tool, else model' });

export const adminUsage = (deps: AppDeps) =>
  new Elysia().use(adminContext(deps)).get(
    '/admin/usage',
    async ({ reach, query }) => {
      const now = Date.now();
      const since = parseTime(query.since ?? '24h', 'since', now);
      const until = query.until !== undefined ? parseTime(query.until, 'until', now) : now + 1;
      const group = query.group_by ?? 'model';
      const kind = callsFor(group, query.calls);
      if ('error' in kind) throw new ApiError(400, kind.error, { param: 'calls', code: 'invalid_value' });
      const data = await deps.usageReads.report({ since, until, groupBy: group, bucket: query.bucket, calls: kind.calls, scope: await scopeOf(reach, deps, query.org_id) });
      // Every time in the report is Unix seconds; the range is widened to whole seconds (until is exclusive).
      return { object: 'usage.report' as const, since: Math.floor(since / 1000), until: Math.ceil(until / 1000), group_by: group, calls: kind.calls, bucket: query.bucket ?? null, data };
    },
    {
      query: t.Object({
        since: t.Optional(t.String({ description: 'Start: a duration back from now (1h, 7d), Unix seconds or an ISO date; default 24h' })),
        until: t.Optional(t.String({ description: 'End (exclusive), in the same forms; default now' })),
        group_by: t.Optional(groupBy),
        calls: t.Optional(calls),
        bucket: t.Optional(bucket),
        org_id: t.Optional(idParam('org_id', 'Admins: one org only')),
      }),
      response: { 200: UsageReportView, ...refusals(400) },
      detail: adminDetail(
        'getUsageReport',
        'Usage report',
        'Usage',
        'Requests, failures, input/output tokens, average and p95 latency per group, optionally per time bucket. A report counts either model calls or MCP calls (`calls=model|mcp`, each row says which; default mcp for group_by=mcp_server or mcp_tool, else model; a grouping that does not fit the calls is a 400 naming `calls`); MCP calls have no tokens (0). group_by=mcp_tool counts tools/call requests, grouped as "server/tool". Times (since, until, bucket_start: the first second of a bucket) are Unix seconds. Admins see everything, org admins their org, users their own keys and their teams (the user_id of a call is only a label within that scope); a service-account key its own calls.',
      ),
    },
  );
