import { readFileSync } from 'node:fs';

/**
 * The Lua scripts of src/core/scripts/, read once at start-up. Each file opens with a
 * header naming its KEYS, ARGV and reply. Callers register them on a connection with
 * `redis.defineCommand`, which sends each by its SHA (EVALSHA) and loads it on first use.
 */
export function luaScript(name: string): string {
  return readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
}
