/** What every command gets: its parsed arguments and where to write. Commands return an exit code. */
import { Refusal } from '../domain/refusal';
import { ApiError } from '../http/api-error';
import { commandHelp, parseArgs, UsageError, type OptionSpec, type Parsed } from './args';

export interface CommandIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

export const processIO: CommandIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
};

export interface Command {
  name: string;
  summary: string;
  run(argv: string[], io: CommandIO): Promise<number> | number;
}


/** A command with --help and usage errors handled the same way everywhere. */
export function defineCommand(spec: {
  name: string;
  usage: string;
  summary: string;
  description: string;
  options?: OptionSpec[];
  run(args: Parsed, io: CommandIO): Promise<number> | number;
}): Command {
  const options = spec.options ?? [];
  const help = commandHelp(spec.usage, spec.description, options);
  return {
    name: spec.name,
    summary: spec.summary,
    async run(argv, io) {
      let args: Parsed;
      try {
        args = parseArgs(argv, options);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`aqueduct ${spec.name}: ${err.message}\n\n${help}`);
        return 2;
      }
      if (args.switches.has('--help')) {
        io.out(help);
        return 0;
      }
      try {
        return await spec.run(args, io);
      } catch (err) {
        if (err instanceof Refusal || (err instanceof ApiError && err.status < 500)) {
          // A refusal from the domain (e.g. "already exists"): the operator's input, not a crash.
          io.err(`aqueduct ${spec.name}: ${err.message}`);
          return 1;
        }
        if (!(err instanceof UsageError)) throw err;
        io.err(`aqueduct ${spec.name}: ${err.message}\n\nRun "aqueduct ${spec.name} --help" for usage.`);
        return 2;
      }
    },
  };
}
