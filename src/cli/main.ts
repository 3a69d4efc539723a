import { runCli } from './run.js';

/** `npm run cli -- <command>` / `npx async-gateway <command>`: see USAGE in run.ts. */
process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
