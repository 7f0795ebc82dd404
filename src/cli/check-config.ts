import { DEMO_SOURCE } from '../config/demo-models';
import { loadConfig } from '../config/load';
import { defineCommand } from './context';

export const checkConfigCommand = defineCommand({
  name: 'check-config',
  usage: 'aqueduct check-config [settings]',
  summary: 'Load all settings and config files and print every problem found',
  description:
    'Loads the settings, router_config.yaml and mcp.json exactly as "serve" would, prints every problem\n' +
    '(unknown keys, duplicate aliases, unset os.environ/VAR, malformed URLs, unknown providers, what a\n' +
    'cloud provider (azure/, gemini/, vertex_ai/, bedrock/) deployment is missing, …),\n' +
    'checks the terms-of-service file (readable UTF-8, not empty, at most 1 MB) and prints its version,\n' +
    'and exits 1 when there is any. Warnings (e.g. models of a mode not served yet, which are left out)\n' +
    'go to stderr as "warning: …" and do not change the exit code.',
  run(args, io) {
    const { settings, router, mcp, demo, terms, problems, warnings } = loadConfig(args.flags, io.env);
    for (const w of warnings) io.err(`warning: ${w}`);
    if (problems.length > 0) {
      io.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} found:`);
      for (const p of problems) io.err(`  - ${p}`);
      return 1;
    }
    const deployments = [...router.models.values()].reduce((n, m) => n + m.deployments.length, 0);
    io.out(
      `ok: router config ${demo ? DEMO_SOURCE : (settings.routerConfig ?? '(none)')}: ${router.models.size} models, ${deployments} deployments, ` +
        `${router.aliases.size} aliases; MCP config ${settings.mcpConfig ?? '(none)'}: ${mcp.servers.size} servers` +
        (terms ? `; terms of service ${settings.tosFile}: version ${terms.version} (${terms.format})` : ''),
    );
    return 0;
  },
});
