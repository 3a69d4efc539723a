import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateApiKey, hashApiKey } from '../auth/api-keys.js';

/**
 * Operator CLI. `npm run cli -- create-key --tenant acme --role client [--id acme-ci] [--json]`
 * prints a new API key once, with the config entry (its hash) to paste under auth.keys.
 */
const USAGE = 'usage: async-gateway create-key --tenant <name> [--role client|admin] [--id <label>] [--json]\n';

function createKey(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { tenant: { type: 'string' }, role: { type: 'string', default: 'client' }, id: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.tenant || !/^[A-Za-z0-9_.-]{1,64}$/.test(values.tenant)) throw new Error('--tenant is required (1-64 of A-Z a-z 0-9 _ . -)');
  if (values.role !== 'client' && values.role !== 'admin') throw new Error('--role is client or admin');
  const key = generateApiKey();
  const entry = { id: values.id ?? `${values.tenant}-${Date.now().toString(36)}`, tenant: values.tenant, role: values.role, sha256: hashApiKey(key) };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ key, entry })}\n`);
    return;
  }
  process.stdout.write(
    `API key (shown once; give it to the client, store it nowhere else):\n\n  ${key}\n\n` +
      `Add this entry under auth.keys in the gateway config:\n\n${stringify([entry]).replace(/^/gm, '  ')}\n`,
  );
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'create-key') createKey(rest);
  else {
    process.stderr.write(USAGE);
    process.exit(64);
  }
} catch (err) {
  process.stderr.write(`async-gateway: ${(err as Error).message}\n${USAGE}`);
  process.exit(64);
}
