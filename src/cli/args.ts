/**
 * Command-line parsing: `aqueduct [command] [subcommand] [--flag value | --flag=value | --switch] [args]`.
 * Each command declares its own options; every command also accepts the settings flags.
 */
import { BARE_SETTING_FLAGS, SETTING_BY_FLAG, settingsHelp } from '../config/settings';

export interface OptionSpec {
  flag: string;
  /** Shown in help as `--flag <value>`; a switch takes no value. */
  value?: string;
  description: string;
}

export interface Parsed {
  flags: Map<string, string>;
  switches: Set<string>;
  positional: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], options: OptionSpec[]): Parsed {
  const withValue = new Set([...SETTING_BY_FLAG.keys(), ...options.filter((o) => o.value).map((o) => o.flag)]);
  const switches = new Set(['--help', '-h', ...options.filter((o) => !o.value).map((o) => o.flag)]);
  const out: Parsed = { flags: new Map(), switches: new Set(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (switches.has(flag)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      out.switches.add(flag === '-h' ? '--help' : flag);
    } else if (BARE_SETTING_FLAGS.has(flag) && eq < 0) {
      out.flags.set(flag, BARE_SETTING_FLAGS.get(flag)!); // `--demo` alone; `--demo=off` takes a value below
    } else if (withValue.has(flag)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      out.flags.set(flag, value);
    } else {
      throw new UsageError(`unknown option ${flag}`);
    }
  }
  return out;
}

export function commandHelp(usage: string, description: string, options: OptionSpec[]): string {
  const rows = options.map((o) => `  ${(o.value ? `${o.flag} <${o.value}>` : o.flag).padEnd(30)} ${o.description}`);
  return [`Usage: ${usage}`, '', description, '', ...(rows.length ? ['Options:', ...rows, ''] : []), settingsHelp(), ''].join('\n');
}
