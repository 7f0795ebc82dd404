/**
 * Collects configuration problems with their location, so every problem can be reported at once. Warnings
 * are things that load but do not do everything asked (the config still starts; check-config exits 0).
 */
export class Problems {
  readonly list: string[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly source: string) {}

  add(path: string, message: string): void {
    this.list.push(this.at(path, message));
  }

  warn(path: string, message: string): void {
    this.warnings.push(this.at(path, message));
  }

  private at(path: string, message: string): string {
    return path ? `${this.source}: ${path}: ${message}` : `${this.source}: ${message}`;
  }

  /** Reports keys of `obj` that are not in `known`. */
  unknownKeys(path: string, obj: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const key of Object.keys(obj)) {
      if (!known.has(key)) this.add(path ? `${path}.${key}` : key, 'unknown key');
    }
  }
}

export { isObject as isPlainObject } from '../json';

export function isHttpUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
