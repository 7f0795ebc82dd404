import { loadConfig } from '../config/load';
import { startServer } from '../server';
import { defineCommand } from './context';

export const serveCommand = defineCommand({
  name: 'serve',
  usage: 'aqueduct [serve] [settings]',
  summary: 'Run the gateway (the default command)',
  description:
    'Starts the gateway. The database is created and migrated in the data directory; on first start an\n' +
    'admin user and key are created and the key is written to <data-dir>/initial-admin-key.\n' +
    'Refuses to start when the configuration has problems (the same ones "check-config" prints).\n' +
    'SIGHUP re-reads router_config.yaml and mcp.json without dropping connections (a file with problems is\n' +
    'refused and the running configuration kept); SIGTERM/SIGINT shut down gracefully.',
  async run(args, io) {
    const config = loadConfig(args.flags, io.env);
    if (config.problems.length > 0) {
      io.err(`aqueduct: not starting, ${config.problems.length} configuration problem${config.problems.length === 1 ? '' : 's'}:`);
      for (const p of config.problems) io.err(`  - ${p}`);
      return 1;
    }
    const server = await startServer(config); // logs config.warnings
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.err(`received ${signal}, shutting down`);
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGHUP', () => server.reload(loadConfig(args.flags, io.env)));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Keep running: the listener holds the event loop open.
    return new Promise<number>(() => {});
  },
});
