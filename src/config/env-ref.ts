/** LiteLLM's `os.environ/VAR` indirection: a string value naming an environment variable. */
const PREFIX = 'os.environ/';

export type EnvLookup = Record<string, string | undefined>;

/**
 * Resolves `os.environ/VAR` to the variable's value. Returns `{ value }`, or `{ missing: VAR }` when the
 * variable is unset or empty. Any other value is returned unchanged.
 */
export function resolveEnvRef<T>(value: T, env: EnvLookup): { value: T | string } | { missing: string } {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return { value };
  const name = value.slice(PREFIX.length);
  const resolved = env[name];
  return resolved === undefined || resolved === '' ? { missing: name } : { value: resolved };
}
