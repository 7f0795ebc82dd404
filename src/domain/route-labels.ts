/**
 * The `route` label of a request: the template of the route it matched (`/v1/files/{id}/content`), or
 * `unmatched` for every path no route serves. Labels come only from the mounted routes, so however many
 * distinct paths callers send — ids, typos, 10,000 random probes — the label set is as small as the API.
 */
export const UNMATCHED = 'unmatched';

interface Node {
  literal: Map<string, Node>;
  /** A `:name` segment. */
  param?: { name: string; node: Node };
  /** A trailing `*`: matches the rest of the path. */
  rest?: string;
  /** The label of a route ending here. */
  label?: string;
}

const node = (): Node => ({ literal: new Map() });

export class RouteLabels {
  private readonly root = node();
  /** Static paths and their labels: the hot routes are answered without a walk. Bounded by the routes. */
  private readonly exact = new Map<string, string>();

  /** Elysia-style templates: `/v1/files/:id`, `/v1/models/*`. */
  constructor(templates: Iterable<string> = []) {
    for (const t of templates) this.add(t);
  }

  private add(template: string): void {
    const segments = template.split('/').filter(Boolean);
    const labels: string[] = [];
    let at = this.root;
    for (const seg of segments) {
      if (seg === '*') {
        // A catch-all is labelled like its sibling parameter (`/models/*` serves model names with "/").
        const name = at.param?.name ?? 'path';
        at.rest = `/${[...labels, `{${name}}`].join('/')}`;
        return;
      }
      if (seg.startsWith(':')) {
        const name = seg.slice(1);
        at.param ??= { name, node: node() };
        labels.push(`{${at.param.name}}`);
        at = at.param.node;
      } else {
        let next = at.literal.get(seg);
        if (next === undefined) at.literal.set(seg, (next = node()));
        labels.push(seg);
        at = next;
      }
    }
    at.label = `/${labels.join('/')}`;
    if (!template.includes(':')) this.exact.set(at.label, at.label);
  }

  of(path: string): string {
    const known = this.exact.get(path);
    if (known !== undefined) return known;
    const segments = path.split('/').filter(Boolean);
    return match(this.root, segments, 0) ?? UNMATCHED;
  }
}

/** Literal segments first, then a parameter, then a catch-all (the router's own precedence). */
function match(at: Node, segments: string[], i: number): string | undefined {
  if (i === segments.length) return at.label;
  const literal = at.literal.get(segments[i]!);
  const found = (literal && match(literal, segments, i + 1)) ?? (at.param && match(at.param.node, segments, i + 1));
  return found ?? at.rest;
}
