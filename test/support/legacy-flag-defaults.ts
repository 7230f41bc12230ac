/** The legacy control plane's flag defaults (legacy-redis-layout.md, "Cutover flags"), written out for tests to compare against. */
export const LEGACY_FLAG_DEFAULTS = {
  submission_enabled: true,
  dequeue_enabled: true,
  submission_route: 'redis-worker' as const,
  result_read_source: 'redis' as const,
  legacy_worker_endpoints_enabled: true,
};
