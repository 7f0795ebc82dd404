/** What both dialects' migrators (and check-config) say about the migrations a database has recorded. */

/**
 * Why a database with these recorded tags cannot be used by this binary, or undefined: tags it does not carry
 * mean a newer aqueduct migrated it.
 */
export function newerDatabase(recorded: Iterable<string>, known: readonly { tag: string }[]): string | undefined {
  const tags = new Set(known.map((m) => m.tag));
  const unknown = [...recorded].filter((t) => !tags.has(t));
  return unknown.length === 0 ? undefined : `the database was migrated by a newer aqueduct (unknown migrations: ${unknown.join(', ')}); upgrade the binary`;
}
