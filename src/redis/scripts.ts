import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Server-side scripts, BullMQ style: each in its own `.lua` file (keys and arguments documented at
 * its top), read once and registered with ioredis `defineCommand`, which sends EVALSHA and falls
 * back to EVAL on NOSCRIPT (also on a cluster, where SCRIPT LOAD reaches one node only).
 * Scripts take a variable number of keys: call them as `redis[name](numberOfKeys, ...keys, ...args)`.
 * A rule several scripts share lives once, in `includes/NAME.lua`, and a script pulls it in with a
 * line `--- @include "NAME"` (Redis runs one self-contained text per script).
 */
export type ScriptCall = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

const INCLUDE = /^--- @include "([\w-]+)"$/gm;

/** The script's text with each `--- @include "NAME"` line replaced by `includes/NAME.lua`. */
function withIncludes(lua: string, folder: URL): string {
  return lua.replace(INCLUDE, (_line, include: string) =>
    readFileSync(new URL(`includes/${include}.lua`, folder), 'utf8').trimEnd(),
  );
}

export function defineScripts<Name extends string>(
  redis: Redis,
  folder: URL,
  names: readonly Name[],
): Record<Name, ScriptCall> {
  const calls = {} as Record<Name, ScriptCall>;
  for (const name of names) {
    const lua = withIncludes(readFileSync(new URL(`${name}.lua`, folder), 'utf8'), folder);
    const command = `zpe_${name.replaceAll('-', '_')}`;
    if (!(command in redis)) redis.defineCommand(command, { lua });
    const call = (redis as unknown as Record<string, ScriptCall>)[command];
    if (!call) throw new Error(`script ${name} was not registered`);
    calls[name] = call.bind(redis);
  }
  return calls;
}
