/**
 * A unique-constraint violation, recognised on either dialect: PostgreSQL's SQLSTATE 23505 (Bun's client
 * puts it in `errno`), SQLite's "UNIQUE constraint failed" message. Stores turn it into a conflict refusal.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if ((err as { errno?: unknown }).errno === '23505') return true;
  return err.message.includes('UNIQUE constraint failed');
}
