import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type OperationId, operationById, operationLabel } from '../contract/operations.js';
import { auditRedis } from '../lifecycle/audit.js';
import type { CallerCounts } from '../lifecycle/callers.js';
import { type IsoDate, isIsoDate, todayUtc } from '../lifecycle/dates.js';
import { deriveLifecycle, type OperationLifecycle } from '../lifecycle/derive.js';
import { formatCallers, type Gate, gatesOf } from '../lifecycle/gates.js';
import {
  type ChecklistItem,
  ManifestError,
  manifestJsonSchema,
  type RetirementManifest,
} from '../lifecycle/manifest.js';
import { readCallers } from './callers.js';
import { PACKAGE_ROOT, Workspace } from './workspace.js';

export const RETIRE_USAGE = `usage: zpe-gateway retire COMMAND [options]

commands:
  status                          the checklist: items, state, gates, operations, lifecycle, callers
  close ITEM --reason TEXT        close ITEM when its gates are met, then regenerate openapi/
        [--force]                 close it anyway; recorded in the manifest as forced
  deprecate ITEM --sunset DATE    deprecate ITEM's operations (their replacement is live), then regenerate
        [--date DATE]             openapi/; DATE defaults to today
  audit                           the plan's Redis dependency audit over the items' modules
  schema [--check]                write (or check) routes/retirement.schema.json

options:
  --manifest PATH   the manifest (default: ROOT/routes/retirement.json)
  --root DIR        the repository: openapi/ and modules live there (default: this package)
  --today DATE      the date gates compare against, YYYY-MM-DD (default: today, UTC)
  --json            machine-readable output (status, audit)

environment:
  ZPE_REDIS_URL           where the gateways count callers (default redis://localhost:6379/0)
  ZPE_RETIRE_QUIET_DAYS   days without callers that closing an item needs (default 7, at most 30)

exit status: 0 done, 1 refused (gates not met, audit fails, drift), 2 usage or manifest error`;

export interface RetireIo {
  cwd: string;
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
}

class UsageError extends Error {}

interface Settings {
  ws: Workspace;
  today: IsoDate;
  quietDays: number;
  redisUrl: string;
  redisTimeoutMs: number;
  json: boolean;
}

/** `zpe-gateway retire ...` as a function: answers the exit status, so tests drive it in-process. */
export async function runRetire(argv: readonly string[], io: RetireIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        manifest: { type: 'string' },
        root: { type: 'string' },
        today: { type: 'string' },
        reason: { type: 'string' },
        force: { type: 'boolean' },
        sunset: { type: 'string' },
        date: { type: 'string' },
        json: { type: 'boolean' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, itemId, ...extra] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(`${RETIRE_USAGE}\n`);
      return command === undefined && !values.help ? 2 : 0;
    }
    const settings = settingsOf(values, io);
    const needsItem = command === 'close' || command === 'deprecate';
    if (needsItem && itemId === undefined) throw new UsageError(`${command} needs an ITEM`);
    const unexpected = needsItem ? extra : [itemId, ...extra].filter((p) => p !== undefined);
    if (unexpected.length > 0) throw new UsageError(`unexpected argument '${unexpected[0]}'`);
    switch (command) {
      case 'status':
        return await status(settings, io);
      case 'close':
        return await close(settings, io, itemId ?? '', { reason: values.reason, force: values.force === true });
      case 'deprecate':
        return await deprecate(settings, io, itemId ?? '', {
          sunset: values.sunset,
          date: values.date,
          force: values.force === true,
        });
      case 'audit':
        return audit(settings, io);
      case 'schema':
        return schema(settings, io, values.check === true);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof ManifestError) {
      io.err(`zpe-gateway retire: the manifest is not valid:\n${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      io.err(`zpe-gateway retire: ${error.message}\n\n${RETIRE_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

function settingsOf(
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
async function callersOf(settings: Settings, manifest: RetirementManifest) {
  const deprecated = [...deriveLifecycle(manifest)].filter(([, l]) => l.state === 'deprecated').map(([id]) => id);
  if (deprecated.length === 0) return {};
  return readCallers(settings.redisUrl, settings.redisTimeoutMs, deprecated, settings.quietDays, settings.today);
}

function gateInput(settings: Settings, callers: Partial<Record<OperationId, CallerCounts>> | undefined) {
  return { today: settings.today, quietDays: settings.quietDays, callers, read: settings.ws.read };
}

function describeLifecycle(entry: OperationLifecycle | undefined): string {
  switch (entry?.state) {
    case 'deprecated':
      return `deprecated ${entry.deprecation}, sunset ${entry.sunset}`;
    case 'removed':
      return `removed ${entry.closedAt}`;
    default:
      return 'active';
  }
}

function labelOf(id: string): string {
  const operation = operationById(id);
  return operation ? operationLabel(operation) : 'not in the contract';
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function status(settings: Settings, io: RetireIo): Promise<number> {
  const { manifest } = settings.ws.load();
  const lifecycle = deriveLifecycle(manifest);
  const callers = await callersOf(settings, manifest);
  const input = gateInput(settings, callers);
  const items = manifest.items.map((item) => {
    const gates = item.state === 'open' ? gatesOf(manifest, item, input) : [];
    return { item, gates, unmet: gates.filter((g) => !g.met) };
  });

  if (settings.json) {
    io.out(
      `${JSON.stringify(
        {
          manifest: settings.ws.manifestName,
          today: settings.today,
          quiet_days: settings.quietDays,
          callers_known: callers !== undefined,
          items: items.map(({ item, gates, unmet }) => ({
            id: item.id,
            text: item.text,
            state: item.state,
            ready: item.state === 'open' && unmet.length === 0,
            gates,
            operations: item.operations.map(({ operation }) => ({
              id: operation,
              lifecycle: lifecycle.get(operation as OperationId),
              callers: callers?.[operation as OperationId] ?? (callers ? {} : null),
            })),
          })),
          outside_retirement: manifest.outside_retirement.map((o) => o.operation),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }

  const callersCell = (id: OperationId) => {
    if (lifecycle.get(id)?.state !== 'deprecated') return '';
    if (callers === undefined) return 'unknown';
    const seen = callers[id];
    return seen && Object.keys(seen).length > 0 ? formatCallers(seen) : 'none';
  };
  const rows: string[][] = [['ITEM', 'STATE', 'GATES', 'OPERATION', 'LIFECYCLE', `CALLERS (${settings.quietDays}d)`]];
  for (const { item, unmet } of items) {
    const gates =
      item.state === 'closed' ? (item.forced ? 'forced' : '-') : unmet.length === 0 ? 'met' : `${unmet.length} not met`;
    const state = item.state === 'closed' ? `closed ${item.closed_at}` : 'open';
    const ops = item.operations.map(({ operation }) => operation as OperationId);
    if (ops.length === 0) rows.push([item.id, state, gates, '-', '', '']);
    ops.forEach((id, i) => {
      rows.push([
        i === 0 ? item.id : '',
        i === 0 ? state : '',
        i === 0 ? gates : '',
        `${id} (${labelOf(id)})`,
        describeLifecycle(lifecycle.get(id)),
        callersCell(id),
      ]);
    });
  }
  const lines = [
    `Retirement checklist (${settings.ws.manifestName}), today ${settings.today}`,
    callers === undefined
      ? 'callers: unknown (redis unreachable)'
      : `callers: from Redis, last ${settings.quietDays} days`,
    '',
    table(rows),
    '',
    `outside the retirement: ${manifest.outside_retirement.map((o) => o.operation).join(', ') || 'none'}`,
  ];
  const blocked = items.filter(({ item, unmet }) => item.state === 'open' && unmet.length > 0);
  if (blocked.length > 0) {
    lines.push('', 'gates not met:');
    for (const { item, unmet } of blocked) lines.push(`  ${item.id}:`, ...unmet.map((g) => `    - ${g.detail}`));
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function findItem(manifest: RetirementManifest, id: string): ChecklistItem {
  const item = manifest.items.find((i) => i.id === id);
  if (!item) throw new UsageError(`no item '${id}'; items: ${manifest.items.map((i) => i.id).join(', ')}`);
  return item;
}

function rawItem(raw: { items: Record<string, unknown>[] }, id: string): Record<string, unknown> {
  const found = raw.items.find((i) => i.id === id);
  if (!found) throw new UsageError(`no item '${id}'`);
  return found;
}

async function close(
  settings: Settings,
  io: RetireIo,
  id: string,
  options: { reason: string | undefined; force: boolean },
): Promise<number> {
  const { raw, manifest } = settings.ws.load();
  const item = findItem(manifest, id);
  const reason = options.reason?.trim();
  if (!reason) throw new UsageError(`close needs --reason TEXT (recorded in ${settings.ws.manifestName})`);
  if (item.state === 'closed') {
    io.err(`refused: item '${id}' is already closed (${item.closed_at}: ${item.reason})\n`);
    return 1;
  }
  const callers = item.operations.length > 0 ? await callersOf(settings, manifest) : {};
  const unmet = gatesOf(manifest, item, gateInput(settings, callers)).filter((g) => !g.met);
  if (unmet.length > 0 && !options.force) {
    io.err(
      `refused: item '${id}' cannot close yet:\n${unmet.map((g) => `  - ${g.detail}`).join('\n')}\n` +
        `Meet these gates, or override with --force --reason TEXT (recorded as forced).\n`,
    );
    return 1;
  }

  const entry = rawItem(raw, id);
  entry.state = 'closed';
  entry.closed_at = settings.today;
  entry.reason = reason;
  if (unmet.length > 0) entry.forced = true;
  const next = settings.ws.save(raw);
  const written = await settings.ws.writeContract(next);

  const removed = item.operations.map(({ operation }) => `${operation} (${labelOf(operation)})`);
  const lines = [
    `closed '${id}' on ${settings.today}${unmet.length > 0 ? ' (FORCED)' : ''}: ${reason}`,
    ...overridden(unmet),
    `removed from the router and the contract: ${removed.length > 0 ? removed.join(', ') : 'no operation'}`,
    `wrote ${[settings.ws.manifestName, ...written].join(', ')}`,
    'next: commit routes/ and openapi/; CI runs `npm run contract:diff -- BASE` against the previous contract',
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function overridden(unmet: Gate[]): string[] {
  return unmet.length === 0 ? [] : ['overridden gates:', ...unmet.map((g) => `  - ${g.detail}`)];
}

/** Inserts `entries` after `after` (or at the end), keeping the item's other keys where they were. */
function withKeys(obj: Record<string, unknown>, after: string, entries: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key in entries) continue;
    out[key] = value;
    if (key === after) Object.assign(out, entries);
  }
  return after in obj ? out : { ...out, ...entries };
}

async function deprecate(
  settings: Settings,
  io: RetireIo,
  id: string,
  options: { sunset: string | undefined; date: string | undefined; force: boolean },
): Promise<number> {
  const { raw, manifest } = settings.ws.load();
  const item = findItem(manifest, id);
  if (!options.sunset) throw new UsageError('deprecate needs --sunset YYYY-MM-DD');
  if (!isIsoDate(options.sunset))
    throw new UsageError(`--sunset must be a date as YYYY-MM-DD, not '${options.sunset}'`);
  if (options.date !== undefined && !isIsoDate(options.date)) {
    throw new UsageError(`--date must be a date as YYYY-MM-DD, not '${options.date}'`);
  }
  const refuse = (why: string) => {
    io.err(`refused: ${why}\n`);
    return 1;
  };
  if (item.state === 'closed') return refuse(`item '${id}' is closed: its operations are already removed`);
  if (item.operations.length === 0) return refuse(`item '${id}' retires no operation: there is nothing to deprecate`);
  const deprecation = options.date ?? item.deprecation ?? settings.today;
  if (options.sunset < deprecation) return refuse(`sunset ${options.sunset} is before deprecation ${deprecation}`);
  if (item.sunset && options.sunset < item.sunset && !options.force) {
    return refuse(
      `moving the sunset of '${id}' earlier (${item.sunset} -> ${options.sunset}) breaks what callers were told ` +
        '(contract:diff: api-sunset-date-changed-too-small); --force to do it anyway',
    );
  }

  const index = raw.items.findIndex((i) => i.id === id);
  raw.items[index] = withKeys(rawItem(raw, id), 'prerequisites', { deprecation, sunset: options.sunset });
  const next = settings.ws.save(raw);
  const written = await settings.ws.writeContract(next);
  io.out(
    `deprecated '${id}' from ${deprecation}, sunset ${options.sunset}: ${item.operations.map((o) => o.operation).join(', ')}\n` +
      `wrote ${[settings.ws.manifestName, ...written].join(', ')}\n`,
  );
  return 0;
}

function audit(settings: Settings, io: RetireIo): number {
  const { manifest } = settings.ws.load();
  const report = auditRedis(manifest, settings.ws.read);
  if (settings.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  const lines = [`Redis dependency audit (${settings.ws.manifestName}): modules of each item that reference /redis/i`];
  for (const item of report.items) {
    const failing = new Set(item.failures.map((f) => f.path));
    lines.push(`${item.state.padEnd(6)}  ${item.id}${item.references.length === 0 ? ': none' : ''}`);
    for (const ref of item.references) {
      const mark = failing.has(ref.path)
        ? 'FAIL'
        : item.state === 'closed'
          ? 'exempt (the open exception still needs it)'
          : 'open';
      lines.push(`        ${ref.path}:${ref.lines.join(',')}  ${mark}`);
    }
  }
  const failures = report.items.flatMap((i) => i.failures);
  lines.push(
    report.ok
      ? 'audit passes: no closed item has a module that still references Redis'
      : `audit fails: ${failures.length} module(s) of closed items still reference Redis`,
  );
  if (report.ok) io.out(`${lines.join('\n')}\n`);
  else io.err(`${lines.join('\n')}\n`);
  return report.ok ? 0 : 1;
}

export const SCHEMA_PATH = 'routes/retirement.schema.json';

function schema(settings: Settings, io: RetireIo, check: boolean): number {
  const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
  if (check) {
    const ok = settings.ws.read(SCHEMA_PATH) === text;
    if (ok) io.out(`${SCHEMA_PATH} is up to date\n`);
    else io.err(`${SCHEMA_PATH} differs from src/lifecycle/manifest.ts: run \`npm run retire -- schema\`\n`);
    return ok ? 0 : 1;
  }
  settings.ws.write(SCHEMA_PATH, text);
  io.out(`wrote ${SCHEMA_PATH}\n`);
  return 0;
}
