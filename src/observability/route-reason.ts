/**
 * Route reasons as a bounded label: the header (`flag:submission_route=next-gen`,
 * `override:nextgen`, `flag:result_read_source=redis;continuity:nextgen`) keeps the detail, the metric
 * keeps what the routing decision was.
 */
export type RouteReasonLabel =
  | 'flag'
  | 'flag_off'
  | 'override'
  | 'continuity'
  | 'default'
  | 'stateless'
  | 'emergency_revoke'
  | 'gateway'
  | 'no_route'
  | 'not_configured'
  | 'lifecycle_removed'
  | 'other';

const EXACT: Record<string, RouteReasonLabel> = {
  flag: 'flag_off',
  default: 'default',
  stateless: 'stateless',
  'emergency-revoke': 'emergency_revoke',
  gateway: 'gateway',
  'no-route': 'no_route',
  'not-configured': 'not_configured',
  'lifecycle:removed': 'lifecycle_removed',
};

export function routeReasonLabel(reason: string | undefined): RouteReasonLabel {
  if (!reason) return 'other';
  if (reason.includes(';continuity:')) return 'continuity';
  if (reason.startsWith('flag:')) return 'flag';
  if (reason.startsWith('override:')) return 'override';
  return EXACT[reason] ?? 'other';
}
