import type { OperationId } from '../contract/operations.js';
import { exemptModules, type ReadSource, redisReference } from './audit.js';
import type { CallerCounts } from './callers.js';
import type { IsoDate } from './dates.js';
import type { ChecklistItem, RetirementManifest } from './manifest.js';

export interface Gate {
  /** What is checked: `prerequisite`, `deprecated`, `sunset`, `callers`, `modules`, `audit`. */
  name: string;
  met: boolean;
  /** Says what is missing when not met, what holds when met. */
  detail: string;
}

export interface GateInput {
  today: IsoDate;
  quietDays: number;
  /** Callers of each operation over the last `quietDays` days; undefined when they cannot be read. */
  callers: Partial<Record<OperationId, CallerCounts>> | undefined;
  read: ReadSource;
}

export function formatCallers(counts: CallerCounts): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([caller, n]) => `${caller} ${n}`)
    .join(', ');
}

/** Everything that must hold before `item` may close, met or not, in the order an operator fixes them. */
export function gatesOf(manifest: RetirementManifest, item: ChecklistItem, input: GateInput): Gate[] {
  const gates: Gate[] = [];
  for (const id of item.prerequisites) {
    const state = manifest.items.find((other) => other.id === id)?.state ?? 'missing';
    gates.push({ name: 'prerequisite', met: state === 'closed', detail: `prerequisite '${id}' is ${state}` });
  }

  if (item.operations.length > 0) {
    gates.push(
      item.deprecation
        ? { name: 'deprecated', met: true, detail: `operations deprecated since ${item.deprecation}` }
        : {
            name: 'deprecated',
            met: false,
            detail: `its operations were never deprecated: run \`retire deprecate ${item.id} --sunset YYYY-MM-DD\` once their replacement is live`,
          },
    );
    if (item.sunset) {
      const reached = input.today >= item.sunset;
      gates.push({
        name: 'sunset',
        met: reached,
        detail: reached ? `sunset ${item.sunset} reached` : `sunset ${item.sunset} not reached (today ${input.today})`,
      });
    }
    gates.push(callersGate(item, input));
  }

  const exempt = exemptModules(manifest, item);
  const still = item.modules.filter((p) => !exempt.has(p)).flatMap((p) => redisReference(p, input.read) ?? []);
  if (item.modules.length > 0) {
    gates.push({
      name: 'modules',
      met: still.length === 0,
      detail:
        still.length === 0
          ? 'its modules no longer reference Redis'
          : `still references Redis: ${still.map((r) => `${r.path}:${r.lines.join(',')}`).join(' ')}`,
    });
  }

  if (item.audit_gate) {
    const everyExempt = exemptModules(manifest);
    const failing = manifest.items
      .filter((other) => !other.exception)
      .flatMap((other) =>
        other.modules
          .filter((p) => !everyExempt.has(p))
          .flatMap((p) => {
            const ref = redisReference(p, input.read);
            return ref ? [`${ref.path} (item '${other.id}')`] : [];
          }),
      );
    const unique = [...new Set(failing)];
    gates.push({
      name: 'audit',
      met: unique.length === 0,
      detail:
        unique.length === 0
          ? 'the Redis dependency audit passes'
          : `the Redis dependency audit does not pass: ${unique.join(', ')}`,
    });
  }
  return gates;
}

function callersGate(item: ChecklistItem, input: GateInput): Gate {
  if (input.callers === undefined)
    return { name: 'callers', met: false, detail: 'callers: unknown (redis unreachable)' };
  const seen = item.operations.flatMap(({ operation }) => {
    const counts = input.callers?.[operation as OperationId];
    return counts && Object.keys(counts).length > 0 ? [`${operation}: ${formatCallers(counts)}`] : [];
  });
  return seen.length === 0
    ? { name: 'callers', met: true, detail: `no callers in the last ${input.quietDays} days` }
    : { name: 'callers', met: false, detail: `callers seen in the last ${input.quietDays} days: ${seen.join('; ')}` };
}
