/**
 * The C library through bun:ffi, for the few system calls Bun has no API for (execve, the scheduling class
 * of a thread). Tries glibc, then musl (x64, arm64); undefined when none loads (another OS, say).
 */
import { dlopen, type FFIFunction, type Library } from 'bun:ffi';

const LIBCS = ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1', 'libc.so'];

export function openLibc<Fns extends Record<string, FFIFunction>>(symbols: Fns): Library<Fns> | undefined {
  for (const name of LIBCS) {
    try {
      return dlopen(name, symbols);
    } catch {
      // not this libc
    }
  }
  return undefined;
}
