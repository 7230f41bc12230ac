import { createHash } from 'node:crypto';
import { ApiError } from '../../http/errors.js';
import type { LegacyContext } from './context.js';
import { idempotencyKey } from './keys.js';

/**
 * `Idempotency-Key` on submissions (draft-ietf-httpapi-idempotency-key-header): the first submission
 * with a key stores `{job_id, fingerprint}` for the result TTL, atomically with the job itself
 * (submit.lua); a retry with the same key and the same body answers that job id, a reuse with
 * another body 422. Keys are per user: two users' equal keys never meet.
 */
export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** The draft's value is a structured-field string (`"…"`); a bare token is accepted too. */
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const BARE = /^[\x21-\x7e]+$/;
const MAX_KEY_LENGTH = 255;

/** Key order of an object does not make another body; array order does. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The request's key, or undefined without the header; 400 for a value that is no key. */
export function idempotencyOf(request: Request, userId: string, body: unknown): Idempotency | undefined {
  const header = request.headers.get('idempotency-key');
  if (header === null) return undefined;
  const text = header.trim();
  const quoted = QUOTED.exec(text);
  const key = quoted ? (quoted[1] ?? '').replace(/\\(["\\])/g, '$1') : BARE.test(text) ? text : undefined;
  if (!key || key.length > MAX_KEY_LENGTH) {
    throw new ApiError(400, `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`);
  }
  const fingerprint = createHash('sha256').update(canonical(body)).digest('hex');
  return { key: idempotencyKey(userId, createHash('sha256').update(key).digest('hex')), fingerprint };
}

function answer(
  stored: { job_id?: string | null; fingerprint?: string | null },
  given: Idempotency,
): string | undefined {
  if (!stored.job_id) return undefined;
  if (stored.fingerprint !== given.fingerprint) {
    throw new ApiError(422, 'Idempotency-Key was already used with a different request body');
  }
  return stored.job_id;
}

/** The job a earlier submission with this key created (read before the checks, so a replay answers as the first did). */
export async function replayedSubmission(ctx: LegacyContext, given: Idempotency): Promise<string | undefined> {
  const [jobId, fingerprint] = await ctx.run(() => ctx.redis.hmget(given.key, 'job_id', 'fingerprint'));
  return answer({ job_id: jobId, fingerprint }, given);
}

/** The extra key and arguments submit.lua takes, and how its reply becomes the job id answered. */
export function submitIdempotency(given: Idempotency | undefined) {
  return {
    keys: given ? [given.key] : [],
    args: given ? [given.fingerprint] : [],
    /** submit.lua answers `{'replay', job_id, fingerprint}` when a concurrent twin won the key. */
    answer(reply: unknown, jobId: string): string {
      if (!given || !Array.isArray(reply) || reply[0] !== 'replay') return jobId;
      return answer({ job_id: String(reply[1]), fingerprint: String(reply[2]) }, given) ?? jobId;
    },
  };
}
