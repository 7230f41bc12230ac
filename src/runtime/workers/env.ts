import { type Config, ConfigError, loadConfig } from '../../config/env.js';
import type { KvNamespace } from '../../flags/kv-storage.js';

/** The KV namespace binding the flags live in (wrangler.toml, `[[kv_namespaces]]`). */
export const FLAGS_BINDING = 'ZPE_FLAGS';

/** What a Worker receives as `env`: vars and secrets as strings, plus bindings (the KV namespace). */
export type WorkersEnv = Record<string, unknown>;

function isKvNamespace(value: unknown): value is KvNamespace {
  if (value === null || typeof value !== 'object') return false;
  const kv = value as Record<string, unknown>;
  return ['get', 'getWithMetadata', 'put', 'delete', 'list'].every((method) => typeof kv[method] === 'function');
}

/**
 * The configuration from vars and secrets, read by the same rules as on Node. There is no Redis on
 * Workers, so the built-in legacy backend is off whatever ZPE_BUILTIN_LEGACY says: legacy is
 * ZPE_LEGACY_URL or nothing.
 */
export function workersConfig(env: WorkersEnv): Config {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
  return loadConfig({ ...vars, ZPE_BUILTIN_LEGACY: 'false' });
}

export function flagNamespace(env: WorkersEnv): KvNamespace {
  const binding = env[FLAGS_BINDING];
  if (!isKvNamespace(binding)) {
    throw new ConfigError(
      `invalid configuration:\n  ${FLAGS_BINDING}: expected a KV namespace binding (wrangler.toml [[kv_namespaces]] binding = "${FLAGS_BINDING}")`,
    );
  }
  return binding;
}
