import { OPERATION_IDS, type OperationId } from '../contract/operations.js';
import type { IsoDate } from './dates.js';
import type { ChecklistItem, RetirementManifest } from './manifest.js';

export type LifecycleState = 'active' | 'deprecated' | 'removed';

interface Retired {
  /** The checklist item that retires the operation. */
  item: string;
  successor: string;
}

export type OperationLifecycle =
  /** Before deprecation the successor may not be published yet. */
  | { state: 'active'; retirement?: { item: string; successor?: string } }
  | ({ state: 'deprecated'; deprecation: IsoDate; sunset: IsoDate } & Retired)
  | ({ state: 'removed'; closedAt: IsoDate; deprecation?: IsoDate; sunset?: IsoDate } & Retired);

/** Every operation's place in the retirement, derived from the manifest alone. */
export type Lifecycle = ReadonlyMap<OperationId, OperationLifecycle>;

/**
 * Active while its item is open without a deprecation date, deprecated once the item has one (its
 * replacement is live), removed when the item is closed. Operations no item retires stay active.
 */
export function deriveLifecycle(manifest: RetirementManifest): Lifecycle {
  const out = new Map<OperationId, OperationLifecycle>(OPERATION_IDS.map((id) => [id, { state: 'active' }]));
  for (const item of manifest.items) {
    for (const { operation, successor } of item.operations) {
      out.set(operation as OperationId, lifecycleOf(item, item.id, successor));
    }
  }
  return out;
}

function lifecycleOf(item: ChecklistItem, id: string, successor: string | undefined): OperationLifecycle {
  // parseManifest refuses a deprecated or closed item whose operations lack a successor.
  const retired: Retired = { item: id, successor: successor ?? '' };
  if (item.state === 'closed') {
    return {
      state: 'removed',
      closedAt: item.closed_at ?? '',
      deprecation: item.deprecation,
      sunset: item.sunset,
      ...retired,
    };
  }
  if (item.deprecation && item.sunset) {
    return { state: 'deprecated', deprecation: item.deprecation, sunset: item.sunset, ...retired };
  }
  return { state: 'active', retirement: { item: id, successor } };
}
