import { isIsoDate } from '../lifecycle/dates.js';
import { type Gate, gatesOf } from '../lifecycle/gates.js';
import {
  callersOf,
  findItem,
  gateInput,
  labelOf,
  type RetireIo,
  rawItem,
  type Settings,
  UsageError,
} from './settings.js';

export async function close(
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
  const unnamed = item.operations.filter((o) => !o.successor).map((o) => o.operation);
  if (unnamed.length > 0) {
    // Not a gate --force skips: the 410 of a removed operation must name what replaces it.
    io.err(
      `refused: ${unnamed.join(', ')} of '${id}' ${unnamed.length === 1 ? 'has' : 'have'} no successor for the 410 to name: ` +
        `retire deprecate ${id} --successor URL --sunset DATE first\n`,
    );
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

/** Host names reserved for examples and tests (RFC 2606, RFC 6761): a successor there is a placeholder. */
const PLACEHOLDER_HOST = /(^|\.)(example|test|invalid|localhost)$|(^|\.)example\.(com|net|org)$/i;

function checkedSuccessor(raw: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, not '${raw}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${flag} must be an http(s) URL, not '${raw}'`);
  }
  if (PLACEHOLDER_HOST.test(url.hostname)) {
    throw new UsageError(
      `${flag}: ${url.hostname} is a placeholder name (RFC 2606); give the published page of the replacement`,
    );
  }
  return raw;
}

/**
 * Successors from `--successor`: `URL` for every operation of the item, or `OPERATION=URL` for one
 * (repeatable; the more specific wins). Answers operation -> URL.
 */
function successorsOf(values: readonly string[], operations: readonly string[], id: string): Map<string, string> {
  const all = new Map<string, string>();
  const each = new Map<string, string>();
  for (const value of values) {
    const named = /^([A-Za-z]\w*)=(.+)$/.exec(value);
    if (named && !/^https?$/i.test(named[1] ?? '')) {
      const [, operation = '', url = ''] = named;
      if (!operations.includes(operation)) {
        throw new UsageError(
          `--successor ${operation}=...: '${id}' retires no operation '${operation}'; its operations: ${operations.join(', ')}`,
        );
      }
      each.set(operation, checkedSuccessor(url, `--successor ${operation}=`));
    } else {
      const url = checkedSuccessor(value, '--successor');
      for (const operation of operations) all.set(operation, url);
    }
  }
  return new Map([...all, ...each]);
}

export async function deprecate(
  settings: Settings,
  io: RetireIo,
  id: string,
  options: { sunset: string | undefined; date: string | undefined; force: boolean; successors: readonly string[] },
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

  const operations = item.operations.map((o) => o.operation);
  const given = successorsOf(options.successors, operations, id);
  const missing = item.operations.filter((o) => !o.successor && !given.has(o.operation)).map((o) => o.operation);
  if (missing.length > 0) {
    return refuse(
      `deprecated operations tell callers their successor (Link: rel="successor-version"), and ${missing.join(', ')} ` +
        `${missing.length === 1 ? 'has' : 'have'} none: --successor URL (every operation) or --successor OPERATION=URL`,
    );
  }

  const index = raw.items.findIndex((i) => i.id === id);
  const entry = rawItem(raw, id);
  const entryOperations = (entry.operations as Record<string, unknown>[]).map((o) => {
    const url = given.get(String(o.operation));
    return url === undefined ? o : { ...o, successor: url };
  });
  raw.items[index] = withKeys({ ...entry, operations: entryOperations }, 'prerequisites', {
    deprecation,
    sunset: options.sunset,
  });
  const next = settings.ws.save(raw);
  const written = await settings.ws.writeContract(next);
  const retired = findItem(next, id).operations.map((o) => `  ${o.operation} -> ${o.successor}`);
  io.out(
    `deprecated '${id}' from ${deprecation}, sunset ${options.sunset}:\n${retired.join('\n')}\n` +
      `wrote ${[settings.ws.manifestName, ...written].join(', ')}\n` +
      'next: commit routes/ and openapi/; every answer of these operations now carries Deprecation, Sunset and Link\n',
  );
  return 0;
}
