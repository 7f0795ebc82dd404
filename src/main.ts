#!/usr/bin/env bun
/**
 * The binary's entry point. Kept tiny on purpose: `serve` may re-execute the process once to raise Bun's
 * fetch limit (see raise-fetch-limit.ts), and doing that before the rest of the program is loaded keeps
 * start-up fast. Everything else lives in cli/main.ts.
 */
import { raiseFetchLimit } from './raise-fetch-limit';

const args = process.argv.slice(2);
const serving = args[0] === undefined || args[0] === 'serve' || (args[0].startsWith('-') && !['--help', '-h', '--version'].includes(args[0]));
if (serving) {
  // The setting is read here by hand (flag, then environment, then default) because the settings module
  // is not loaded yet; an invalid value is left for the real settings parser to report.
  const i = args.findIndex((a) => a === '--max-upstream-requests' || a.startsWith('--max-upstream-requests='));
  const raw = i < 0 ? process.env.AQUEDUCT_MAX_UPSTREAM_REQUESTS : args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
  const limit = Number(raw ?? 8192);
  if (Number.isInteger(limit) && limit >= 16) raiseFetchLimit(limit, (msg) => process.stderr.write(`aqueduct: ${msg}\n`));
}

// No top-level await: the binary is compiled to bytecode, which needs CommonJS.
import('./cli/main')
  .then(({ main }) => main(args))
  .then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`aqueduct: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
