/** The aqueduct command line: serve (default), migrate, check-config and the operator commands. */
import { backupCommand, restoreCommand } from './backup';
import { checkConfigCommand } from './check-config';
import { processIO, type Command, type CommandIO } from './context';
import { directoryCommands } from './directory-commands';
import { migrateCommand } from './migrate';
import { policyCommands } from './policy-commands';
import { serveCommand } from './serve';
import { tokenCommands } from './token';
import { VERSION } from '../version';

const COMMANDS: Command[] = [serveCommand, migrateCommand, checkConfigCommand, backupCommand, restoreCommand, ...tokenCommands, ...directoryCommands, ...policyCommands];

function topHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(24)} ${c.summary}`);
  return [
    `aqueduct ${VERSION}: an OpenAI-compatible AI gateway`,
    '',
    'Usage: aqueduct [command] [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Run "aqueduct <command> --help" for the options of a command (settings are listed there too).',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [first, second] = argv;
  if (first === '--version' || first === 'version') {
    io.out(VERSION);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) {
    if (first === '--help' || first === '-h' || first === 'help') {
      io.out(topHelp());
      return 0;
    }
    return serveCommand.run(argv, io);
  }
  if (first === 'help') {
    io.out(topHelp());
    return 0;
  }
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return two.run(argv.slice(2), io);
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return one.run(argv.slice(1), io);
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0) {
    const wanted = second === undefined || second === '--help' || second === '-h';
    (wanted ? io.out : io.err)(
      [`Usage: aqueduct ${first} <${group.map((c) => c.name.split(' ')[1]).join('|')}>`, '', ...group.map((c) => `  ${c.name.padEnd(24)} ${c.summary}`), ''].join('\n'),
    );
    return wanted && second !== undefined ? 0 : 2;
  }
  io.err(`aqueduct: unknown command "${first}"\n\n${topHelp()}`);
  return 2;
}
