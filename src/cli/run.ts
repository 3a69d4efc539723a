import { parseArgs } from 'node:util';
import { AdminClient, ApiProblem, Unreachable } from './admin-client.js';
import * as cmd from './commands.js';

const USAGE = `usage: async-gateway <command> [options]

Operator commands (talk to the gateway's admin API):
  targets                          targets with queue depths, workers, concurrency, the oldest waiting job and circuit breakers
  pause <target> | resume <target> stop or restart taking jobs of a target
  circuit <target> open|closed     hold a target's circuit breaker open (no attempts) until closed, or close it now
  job <id>                         one job's timeline: attempts, errors, webhook deliveries (any tenant)
  jobs <target> [--recent]         a target's queued and running jobs, or its recently finished ones
  dead-letters [--target T]        jobs out of attempts
  replay <id...> | --all [--target T]          put dead letters back in their queue
  purge <id...> | --all [--target T] --yes     delete dead letters for good
  webhook-dead-letters             webhooks out of delivery attempts
  redeliver <id>                   send a job's webhook again (same webhook-id)
Local:
  create-key --tenant T [--role client|admin|metrics] [--id LABEL]

Options:
  --url URL     the gateway (env ASYNC_GATEWAY_URL, default http://127.0.0.1:8080)
  --key KEY     an admin API key (env ASYNC_GATEWAY_KEY; not needed when the gateway runs open)
  --limit N     rows to list (default 50)
  --json        print JSON instead of tables
Exit codes: 0 done, 1 the gateway refused (the reason is printed), 64 bad usage, 69 gateway unreachable.
`;

/** Where the CLI writes, and the environment it reads: the process's own, or a test's. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** Runs one CLI command and returns its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof cmd.UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`async-gateway: ${(err as Error).message}\n\n${USAGE}`);
      return 64; // EX_USAGE
    }
    if (err instanceof ApiProblem) {
      io.err(`async-gateway: ${err.status} ${err.code}: ${err.message}\n`);
      return 1;
    }
    io.err(`async-gateway: ${(err as Error).message}\n`);
    return err instanceof Unreachable ? 69 : 1; // EX_UNAVAILABLE
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean', default: false },
      limit: { type: 'string', default: '50' },
      target: { type: 'string' },
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      recent: { type: 'boolean', default: false },
      tenant: { type: 'string' },
      role: { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    io.out(USAGE);
    return values.help ? 0 : 64;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new cmd.UsageError('--limit is an integer from 1 to 500');
  const api = new AdminClient(values.url ?? io.env.ASYNC_GATEWAY_URL ?? 'http://127.0.0.1:8080', values.key ?? (io.env.ASYNC_GATEWAY_KEY || undefined));

  const commands: Record<string, () => Promise<cmd.Output> | cmd.Output> = {
    targets: () => cmd.targets(api),
    pause: () => cmd.setPaused(api, args[0], true),
    resume: () => cmd.setPaused(api, args[0], false),
    circuit: () => cmd.setCircuit(api, args[0], args[1]),
    job: () => cmd.job(api, args[0]),
    jobs: () => cmd.jobs(api, args[0], values.recent, limit),
    'dead-letters': () => cmd.deadLetters(api, limit, values.target),
    'webhook-dead-letters': () => cmd.webhookDeadLetters(api, limit),
    replay: () => cmd.bulk(api, 'replay', args, { all: values.all, yes: values.yes, ...(values.target && { target: values.target }) }),
    purge: () => cmd.bulk(api, 'purge', args, { all: values.all, yes: values.yes, ...(values.target && { target: values.target }) }),
    redeliver: () => cmd.redeliver(api, args[0]),
    'create-key': () => cmd.createKey({ ...(values.tenant && { tenant: values.tenant }), ...(values.role && { role: values.role }), ...(values.id && { id: values.id }) }),
  };
  const handler = commands[command];
  if (!handler) throw new cmd.UsageError(`unknown command "${command}"`);
  const out = await handler();
  io.out(values.json ? `${JSON.stringify(out.json, null, 2)}\n` : `${out.text}\n`);
  return 0;
}

