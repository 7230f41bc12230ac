/**
 * Every Redis key of the legacy control plane (legacy-redis-layout.md), one function per key name.
 * Scripts that find job keys on the server (a lease pops an id it could not know beforehand) build
 * them from PREFIX the same way: `{PREFIX}{name}:{id}`.
 */
export const PREFIX = 'zpe:';

// Jobs

/** list: job ids waiting for a worker; LPUSH to enqueue, RPOP to lease (oldest first). */
export const queueKey = () => `${PREFIX}queue`;
/** string (JSON), result TTL: the accepted submission a worker receives. */
export const payloadKey = (jobId: string) => `${PREFIX}payload:${jobId}`;
/** hash, result TTL: `status`, `detail` ('' for none), `updated_at`. */
export const statusKey = (jobId: string) => `${PREFIX}status:${jobId}`;
/** string (JSON), result TTL: the worker's result object (older ones name `kpoints` `kpts`). */
export const resultKey = (jobId: string) => `${PREFIX}result:${jobId}`;
/** string, result TTL: summary.txt. */
export const summaryKey = (jobId: string) => `${PREFIX}summary:${jobId}`;
/** string, result TTL: freqs.csv. */
export const freqsKey = (jobId: string) => `${PREFIX}freqs:${jobId}`;
/** string, result TTL: the submitting user's id. */
export const ownerKey = (jobId: string) => `${PREFIX}job:owner:${jobId}`;
/** string (JSON object), result TTL: request_id, user_id, structure_id, queue_name, calc_mode. */
export const metaKey = (jobId: string) => `${PREFIX}job:meta:${jobId}`;
/** string (integer), result TTL: failures reported so far. */
export const retryCountKey = (jobId: string) => `${PREFIX}retry_count:${jobId}`;
/** sorted set: job ids waiting to be retried, scored by the epoch second they are due. */
export const delayKey = () => `${PREFIX}delay`;
/** list: job ids that exhausted their retries (LPUSH). */
export const deadLetterKey = () => `${PREFIX}dlq`;
/** hash, lease TTL: `worker_id`, `lease_id`, `expires_at`. */
export const leaseKey = (jobId: string) => `${PREFIX}lease:${jobId}`;
/** sorted set: leased job ids, scored by the epoch second the lease expires. */
export const leaseIndexKey = () => `${PREFIX}lease:index`;

// Workers

/** hash, enrollment TTL: `created_at`, `label`, `owner_id`; the raw token is part of the key. */
export const enrollKey = (token: string) => `${PREFIX}enroll:${token}`;
/** hash, no TTL: `registered_at`, `name`, `meta` (JSON, when given). */
export const serverKey = (serverId: string) => `${PREFIX}compute:server:${serverId}`;
/** hash, worker token TTL: `worker_id`, `created_at`, `expires_at`, `label`, `revoked_at`. */
export const workerTokenKey = (tokenHash: string) => `${PREFIX}token:${tokenHash}`;
/** set, worker token TTL: the hashes of one worker's tokens. */
export const workerTokensKey = (workerId: string) => `${PREFIX}worker_tokens:${workerId}`;
/** sorted set, 2 × worker token TTL: revoked token hashes, scored by the epoch second of revocation. */
export const revokedTokensKey = () => `${PREFIX}revoked_tokens`;

// Queue targets

/** string (JSON): `{target_id, user_id, queue_name, server_id, registered_at, name}`. */
export const targetKey = (targetId: string) => `${PREFIX}queue:target:${targetId}`;
/** list: one user's target ids, oldest first (RPUSH). */
export const userTargetsKey = (userId: string) => `${PREFIX}queue:targets:${userId}`;
/** string: the user's active target id. */
export const activeTargetKey = (userId: string) => `${PREFIX}queue:active:${userId}`;

// The gateway's own (no legacy counterpart)

/** hash, result TTL: `job_id`, `fingerprint` of the first submission with one user's Idempotency-Key. */
export const idempotencyKey = (userId: string, keyHash: string) =>
  `${PREFIX}gw:idempotency:submit:${userId}:${keyHash}`;
