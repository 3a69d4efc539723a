import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateApiKey, hashApiKey, ROLES } from '../auth/api-keys.js';

/**
 * Operator CLI. `npm run cli -- create-key --tenant acme --role client [--id acme-ci] [--json]`
 * prints a new API key once, with the config entry (its hash) to paste under auth.keys.
 */
const USAGE = 'usage: async-gateway create-key --tenant <name> [--role client|admin|metrics] [--id <label>] [--json]\n';

function createKey(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { tenant: { type: 'string' }, role: { type: 'string', default: 'client' }, id: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.tenant || !/^[A-Za-z0-9_.-]{1,64}$/.test(values.tenant)) throw new Error('--tenant is required (1-64 of A-Z a-z 0-9 _ . -)');
  const role = ROLES.find((r) => r === values.role);
  if (!role) throw new Error(`--role is one of ${ROLES.join(', ')}`);
  const key = generateApiKey();
  const entry = { id: values.id ?? `${values.tenant}-${Date.now().toString(36)}`, tenant: values.tenant, role, sha256: hashApiKey(key) };
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
