/** Collects configuration problems with their location, so every problem can be reported at once. */
export class Problems {
  readonly list: string[] = [];
  constructor(private readonly source: string) {}

  add(path: string, message: string): void {
    this.list.push(path ? `${this.source}: ${path}: ${message}` : `${this.source}: ${message}`);
  }

  /** Reports keys of `obj` that are not in `known`. */
  unknownKeys(path: string, obj: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const key of Object.keys(obj)) {
      if (!known.has(key)) this.add(path ? `${path}.${key}` : key, 'unknown key');
    }
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isHttpUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
