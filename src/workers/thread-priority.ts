/**
 * Lowers the calling thread's priority (its nice value; Linux applies setpriority to a single thread).
 * The usage writer runs at nice 10: its SQLite transactions then give way to the event loop that answers
 * calls where the two share a core (the 1-connection p99 of `make bench`: 1.43–1.65 → 1.29–1.37 ms), while
 * it keeps ~10% of a saturated core — several times what writing usage at full load takes, so it never
 * falls behind. (The idle class and nice 19 took a little more off the p99 but starved under saturation.)
 * Best effort: false where it cannot be done (not Linux, no libc, a seccomp filter).
 */
import { FFIType } from 'bun:ffi';
import { openLibc } from '../libc';

const SYS_GETTID: Partial<Record<string, number>> = { x64: 186, arm64: 178 };
const PRIO_PROCESS = 0;

export function lowerThreadPriority(nice: number): boolean {
  const gettid = SYS_GETTID[process.arch];
  if (process.platform !== 'linux' || gettid === undefined) return false;
  const libc = openLibc({
    syscall: { args: [FFIType.i64], returns: FFIType.i64 },
    setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  });
  if (!libc) return false;
  try {
    const tid = Number(libc.symbols.syscall(gettid));
    return tid > 0 && libc.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0;
  } finally {
    libc.close();
  }
}
