import { resolve } from 'node:path';
import { type OperationId, operationById, operationLabel } from '../contract/operations.js';
import type { CallerCounts } from '../lifecycle/callers.js';
import { type IsoDate, isIsoDate, todayUtc } from '../lifecycle/dates.js';
import { deriveLifecycle } from '../lifecycle/derive.js';
import type { ChecklistItem, RetirementManifest } from '../lifecycle/manifest.js';
import { readCallers } from './callers.js';
import { PACKAGE_ROOT, Workspace } from './workspace.js';

export interface RetireIo {
  cwd: string;
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends Error {}

export interface Settings {
  ws: Workspace;
  today: IsoDate;
  quietDays: number;
  redisUrl: string;
  redisTimeoutMs: number;
  json: boolean;
}

export function settingsOf(
  values: { manifest?: string; root?: string; today?: string; json?: boolean },
  io: RetireIo,
): Settings {
  const today = values.today ?? todayUtc();
  if (!isIsoDate(today)) throw new UsageError(`--today must be a date as YYYY-MM-DD, not '${today}'`);
  const quiet = io.env.ZPE_RETIRE_QUIET_DAYS?.trim() || '7';
  const quietDays = Number(quiet);
  if (!/^\d+$/.test(quiet) || quietDays < 1 || quietDays > 30) {
    throw new UsageError(`ZPE_RETIRE_QUIET_DAYS must be a whole number from 1 to 30, not '${quiet}'`);
  }
  const timeout = Number(io.env.ZPE_REDIS_TIMEOUT_MS?.trim() || '1000');
  const root = values.root === undefined ? PACKAGE_ROOT : resolve(io.cwd, values.root);
  return {
    ws: new Workspace(root, values.manifest === undefined ? undefined : resolve(io.cwd, values.manifest)),
    today,
    quietDays,
    redisUrl: io.env.ZPE_REDIS_URL?.trim() || 'redis://localhost:6379/0',
    redisTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 1000,
    json: values.json === true,
  };
}

/** The callers of the manifest's deprecated operations over the quiet period; undefined: Redis unreachable. */
export async function callersOf(settings: Settings, manifest: RetirementManifest) {
  const deprecated = [...deriveLifecycle(manifest)].filter(([, l]) => l.state === 'deprecated').map(([id]) => id);
  if (deprecated.length === 0) return {};
  return readCallers(settings.redisUrl, settings.redisTimeoutMs, deprecated, settings.quietDays, settings.today);
}

export function gateInput(settings: Settings, callers: Partial<Record<OperationId, CallerCounts>> | undefined) {
  return { today: settings.today, quietDays: settings.quietDays, callers, read: settings.ws.read };
}

export function labelOf(id: string): string {
  const operation = operationById(id);
  return operation ? operationLabel(operation) : 'not in the contract';
}

export function findItem(manifest: RetirementManifest, id: string): ChecklistItem {
  const item = manifest.items.find((i) => i.id === id);
  if (!item) throw new UsageError(`no item '${id}'; items: ${manifest.items.map((i) => i.id).join(', ')}`);
  return item;
}

export function rawItem(raw: { items: Record<string, unknown>[] }, id: string): Record<string, unknown> {
  const found = raw.items.find((i) => i.id === id);
  if (!found) throw new UsageError(`no item '${id}'`);
  return found;
}
