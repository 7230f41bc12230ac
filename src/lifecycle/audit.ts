import type { ChecklistItem, RetirementManifest } from './manifest.js';

/** The plan's audit pattern (`rg -n "redis|Redis"`), case-insensitive like its intent. */
const REDIS = /redis/i;

export interface RedisReference {
  path: string;
  /** 1-based line numbers that mention Redis. */
  lines: number[];
}

export interface ItemAudit {
  id: string;
  state: ChecklistItem['state'];
  /** Modules of the item that still reference Redis. */
  references: RedisReference[];
  /** Of those, the ones that fail the audit: the item is closed and no open exception still needs them. */
  failures: RedisReference[];
}

export interface AuditReport {
  ok: boolean;
  items: ItemAudit[];
}

/** Reads a repository file; undefined when it does not exist (deleted: nothing references Redis). */
export type ReadSource = (path: string) => string | undefined;

export function redisReference(path: string, read: ReadSource): RedisReference | undefined {
  const text = read(path);
  if (text === undefined) return undefined;
  const lines = text.split('\n').flatMap((line, i) => (REDIS.test(line) ? [i + 1] : []));
  return lines.length > 0 ? { path, lines } : undefined;
}

/** Files an open exception item still needs: exempt from the audit of the items that also list them. */
export function exemptModules(manifest: RetirementManifest, forItem?: ChecklistItem): Set<string> {
  return new Set(
    manifest.items
      .filter((item) => item.exception && item.state === 'open' && item !== forItem)
      .flatMap((item) => item.modules),
  );
}

/**
 * The plan's Redis dependency audit over the gateway's sources: for each item, the modules that still
 * reference Redis. For a closed item any such module is a failure, unless the open exception (emergency
 * revoke) also lists it; once the exception closes, nothing may remain.
 */
export function auditRedis(manifest: RetirementManifest, read: ReadSource): AuditReport {
  const items = manifest.items.map((item): ItemAudit => {
    const exempt = exemptModules(manifest, item);
    const references = item.modules.flatMap((path) => redisReference(path, read) ?? []);
    const failures = item.state === 'closed' ? references.filter((r) => !exempt.has(r.path)) : [];
    return { id: item.id, state: item.state, references, failures };
  });
  return { ok: items.every((i) => i.failures.length === 0), items };
}
