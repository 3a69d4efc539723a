// `npm test` needs programs that npm cannot install: redis-server (every integration,
// end-to-end and fault test starts its own), redis-cli (which makes the cluster tier's Redis
// Cluster; Debian's redis-server package brings it) and Debian's Chromium (the dashboard test drives
// it through playwright-core; a browser download is not possible here). This runs before any
// test: it installs what is missing with apt-get when it can (root and apt-get present), and
// otherwise stops at once with the exact command to run, instead of failing deep in the run.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

/** The program the tests look for, and the Debian package that provides it. */
const TOOLS = [
  { path: 'redis-server', pkg: 'redis-server', onPath: true },
  { path: 'redis-cli', pkg: 'redis-tools', onPath: true },
  { path: '/usr/bin/chromium', pkg: 'chromium', onPath: false },
];

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
const present = (tool) => (tool.onPath ? onPath(tool.path) : existsSync(tool.path));

function missingPackages() {
  return TOOLS.filter((tool) => !present(tool)).map((tool) => tool.pkg);
}

// NO_AUTO_INSTALL=1: never install, only report (for machines where the tests must not change the system).
function canApt() {
  if (process.env.NO_AUTO_INSTALL === '1') return false;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) return false;
  const install = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return install.status === 0;
}

const missing = missingPackages();
if (missing.length > 0) {
  const command = `apt-get install ${missing.join(' ')}`;
  if (canApt()) {
    process.stderr.write(`async-gateway: the tests need ${missing.join(' and ')}; installing (${command})...\n`);
    if (!aptInstall(missing) || missingPackages().length > 0) {
      process.stderr.write(`async-gateway: ${command} did not complete; install ${missingPackages().join(' ')} and run npm test again\n`);
      process.exit(1);
    }
  } else {
    process.stderr.write(
      `async-gateway: the tests need Debian's ${missing.join(' and ')} (not installed, and this is not a root shell with apt-get).\n` +
        `Install first, then run npm test again:\n\n    sudo ${command}\n\n` +
        '(Other systems: redis-server from your Redis package, and a Chromium at /usr/bin/chromium.)\n',
    );
    process.exit(1);
  }
}
