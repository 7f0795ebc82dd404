/**
 * Bun's fetch runs at most 256 requests at once unless BUN_CONFIG_MAX_HTTP_REQUESTS is set when the
 * process starts (setting it later has no effect). A gateway relaying more concurrent calls than that
 * would queue them silently, so `serve` re-executes itself once with the variable set: execve(2) through
 * bun:ffi replaces the process image in place (same pid, no second process). If that is impossible
 * (no libc found, say) the gateway carries on with Bun's default and says so.
 */
import { FFIType, ptr } from 'bun:ffi';
import { openLibc } from './libc';

const VAR = 'BUN_CONFIG_MAX_HTTP_REQUESTS';

/** Returns only if the limit is already raised, or cannot be; on success the process is replaced. */
export function raiseFetchLimit(limit: number, warn: (msg: string) => void): void {
  if (process.env[VAR] !== undefined) return;
  const keep: Buffer[] = [];
  const cString = (s: string) => {
    const b = Buffer.from(`${s}\0`);
    keep.push(b);
    return b;
  };
  const array = (items: string[]) => {
    const a = new BigUint64Array(items.length + 1); // NULL-terminated
    items.forEach((s, i) => (a[i] = BigInt(ptr(cString(s)))));
    return a;
  };
  // A compiled binary sees argv as ["bun", "/$bunfs/root/<name>", ...args]; its real argv is [exe, ...args].
  const compiled = process.argv[1]?.startsWith('/$bunfs/') ?? false;
  const argv = array([process.execPath, ...process.argv.slice(compiled ? 2 : 1)]);
  const envp = array([...Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`), `${VAR}=${limit}`]);
  const libc = openLibc({ execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
  // execve only returns when it failed.
  libc?.symbols.execve(ptr(cString(process.execPath)), ptr(argv), ptr(envp));
  warn(`could not raise Bun's limit of 256 concurrent upstream requests; set ${VAR}=${limit} in the environment`);
}
