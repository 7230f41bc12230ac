import type { OperationId } from '../contract/operations.js';
import type { OperationLifecycle } from '../lifecycle/derive.js';
import { deriveLifecycle } from '../lifecycle/derive.js';
import { formatCallers, gatesOf } from '../lifecycle/gates.js';
import { callersOf, gateInput, labelOf, type RetireIo, type Settings } from './settings.js';

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

export async function status(settings: Settings, io: RetireIo): Promise<number> {
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
    ![...lifecycle.values()].some((l) => l.state === 'deprecated')
      ? 'callers: none counted (no operation is deprecated)'
      : callers === undefined
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
