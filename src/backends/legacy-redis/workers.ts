import type { z } from 'zod';
import { bearerToken } from '../../auth/identity.js';
import type {
  EnrollTokenRequest,
  ServerRegistration,
  WorkerFailure,
  WorkerResult,
} from '../../contract/schemas/compute.js';
import { answerOf, jsonAnswer } from '../../http/answer.js';
import { ApiError } from '../../http/errors.js';
import { fromJs, isPyObject, PyJsonError, type PyValue, pyDumps, tryPyLoads } from '../../python/json.js';
import { execBatch, type Handler, type LegacyContext, type ScriptReply, scriptReply } from './context.js';
import {
  deadLetterKey,
  delayKey,
  enrollKey,
  freqsKey,
  leaseIndexKey,
  leaseKey,
  PREFIX,
  queueKey,
  resultKey,
  retryCountKey,
  revokedTokensKey,
  serverKey,
  statusKey,
  summaryKey,
  workerTokenKey,
  workerTokensKey,
} from './keys.js';
import { leasePayload, RESULT_FLOAT_FIELDS } from './models.js';
import {
  epochSeconds,
  isoTime,
  newLeaseId,
  newServerId,
  newTargetId,
  newToken,
  parseObject,
  tokenHash,
} from './values.js';

/** Tokens this gateway and the legacy issue are 43 characters of URL-safe base64; anything else is no token. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,256}$/;
/** Expired leases and due retries moved per lease call, so one call stays short after a long pause. */
const LEASE_BATCH = 1000;
/** A lease ends this long after the TTL the worker is told, counted from before the answer leaves. */
const LEASE_GRACE_MS = 1000;
/** The lease hash outlives the lease by this much at least (see leaseJob). */
const LEASE_HASH_MARGIN_SECONDS = 3600;

/** Python's datetime.max (9999-12-31T23:59:59.999999), in epoch milliseconds. */
const PYTHON_DATETIME_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999.999);
/** Redis refuses an EXPIRE whose absolute time in milliseconds passes a signed 64-bit integer. */
const REDIS_MAX_MS = 2n ** 63n - 1n;
/** Python's timedelta: at most 999999999 days, and the day count must fit a C int. */
const TIMEDELTA_MAX_DAYS = 999_999_999;
const C_INT_MAX = 2 ** 31 - 1;

/** The enrollment expiry as the legacy computes it, `now + timedelta(seconds=ttl)`, with Python's overflow messages. */
function enrollExpiry(now: number, ttl: number): string {
  const days = Math.floor(ttl / 86400);
  if (days > C_INT_MAX) throw new ApiError(400, 'Python int too large to convert to C int');
  if (days > TIMEDELTA_MAX_DAYS) throw new ApiError(400, `days=${days}; must have magnitude <= 999999999`);
  const expires = now + ttl * 1000;
  if (expires > PYTHON_DATETIME_MAX_MS) throw new ApiError(400, 'date value out of range');
  return isoTime(expires);
}

export const createEnrollToken: Handler = async (ctx, call) => {
  // "User or admin": the admin bearer token makes an unowned token, anyone else must be a user.
  const ownerId = ctx.admin.isAdmin(call.request) ? '' : (await ctx.users.authenticate(call.request)).id;
  const body = call.body as z.output<typeof EnrollTokenRequest>;
  const ttl = body.ttl_seconds ?? ctx.config.ttl.enrollToken;
  if (ttl <= 0) throw new ApiError(400, 'ttl_seconds must be >= 1');
  const now = ctx.now();
  // No upper bound, as the legacy: past Redis's range its EXPIRE fails (503); checked here so that
  // no token is left behind without a TTL.
  if (BigInt(Math.floor(ttl)) * 1000n > REDIS_MAX_MS - BigInt(Math.floor(now))) {
    throw new ApiError(503, 'redis unavailable');
  }
  // The legacy stores the token before it finds the date out of range; refused here first, so a
  // refused request leaves Redis unchanged (the caller never learns that token either way).
  const expiresAt = enrollExpiry(now, ttl);
  const token = newToken();
  const key = enrollKey(token);
  const fields = { created_at: isoTime(now), label: body.label ?? '', owner_id: ownerId };
  await ctx.run(() => execBatch(ctx.redis.multi().hset(key, fields).expire(key, ttl)));
  return jsonAnswer({ token, expires_at: expiresAt, ttl_seconds: ttl, label: body.label ?? null });
};

/** The target record's JSON as the legacy's json.dumps writes it, split around the owner (known in the script). */
function targetJsonParts(
  targetId: string,
  queueName: string,
  serverId: string,
  registeredAt: string,
  name: string | null,
) {
  const after = pyDumps(
    new Map<string, PyValue>([
      ['queue_name', queueName],
      ['server_id', serverId],
      ['registered_at', registeredAt],
      ['name', name],
    ]),
  );
  return [`{"target_id": ${pyDumps(targetId)}, "user_id": `, `, ${after.slice(1)}`];
}

export const registerComputeServer: Handler = async (ctx, call) => {
  const body = call.body as z.output<typeof ServerRegistration>;
  if (!TOKEN_SHAPE.test(body.token)) throw new ApiError(400, 'invalid enroll token');
  const serverId = newServerId();
  const workerToken = newToken();
  const hash = tokenHash(workerToken);
  const now = ctx.now();
  const ttl = ctx.config.ttl.workerToken;
  const registeredAt = isoTime(now);
  const expiresAt = isoTime(now + ttl * 1000);
  const targetId = newTargetId();
  const queueName = body.queue_name || ctx.config.queueName;
  const keys = [enrollKey(body.token), serverKey(serverId), workerTokenKey(hash), workerTokensKey(serverId)];
  const args = [
    PREFIX,
    serverId,
    registeredAt,
    body.name ?? '',
    // Written only when there is something to write (the legacy's `meta` defaults to {}).
    body.meta && Object.keys(body.meta).length > 0 ? pyDumps(fromJs(body.meta)) : '',
    hash,
    expiresAt,
    ttl,
    targetId,
    queueName,
    ...targetJsonParts(targetId, queueName, serverId, registeredAt, body.name ?? null),
  ];
  const reply = scriptReply(await ctx.run(() => ctx.scripts.register(keys.length, ...keys, ...args)));
  if (reply[0] === 'invalid') throw new ApiError(400, 'invalid enroll token');
  return jsonAnswer({
    id: serverId,
    registered_at: registeredAt,
    name: body.name ?? null,
    worker_token: workerToken,
    token_expires_at: expiresAt,
    token_ttl_seconds: ttl,
  });
};

export const revokeComputeServer: Handler = async (ctx, call) => {
  ctx.admin.require(call.request);
  const serverId = call.params.server_id!;
  const now = ctx.now();
  const keys = [workerTokensKey(serverId), revokedTokensKey()];
  const args = [PREFIX, epochSeconds(now), isoTime(now), ctx.config.ttl.workerToken];
  const count = await ctx.run(() => ctx.scripts.revoke(keys.length, ...keys, ...args));
  return jsonAnswer({ revoked_count: Number(count) });
};

/** The hash the calling worker's token is stored under; the scripts check it on the server. */
function workerTokenHash(request: Request): string {
  const token = bearerToken(request);
  if (token === undefined) throw new ApiError(401, 'missing worker token');
  return tokenHash(token);
}

/** Every worker script answers the authentication outcome first. */
function checkWorker(reply: ScriptReply): ScriptReply {
  if (reply[0] === 'revoked') throw new ApiError(403, 'token revoked');
  if (reply[0] === 'invalid') throw new ApiError(401, 'token invalid or expired');
  if (reply[0] === 'no worker') throw new ApiError(401, 'token invalid');
  return reply;
}

/**
 * The calling worker authenticated by the worker scripts' own rule, for answers given without running
 * one (the legacy authenticates before its flag refusals). Answers the token's hash.
 */
export async function identifyWorker(ctx: LegacyContext, request: Request): Promise<string> {
  const hash = workerTokenHash(request);
  checkWorker(
    scriptReply(await ctx.run(() => ctx.scripts['identify-worker'](2, revokedTokensKey(), workerTokenKey(hash), hash))),
  );
  return hash;
}

/** Lease answers a script gives for a job the worker cannot have (409). */
function refuseConflict(reply: ScriptReply): void {
  if (reply[0] === 'lease not found' || reply[0] === 'lease mismatch') throw new ApiError(409, reply[0]);
  if (reply[0] === 'job failed') throw new ApiError(409, reply[1] ? `job failed: ${reply[1]}` : 'job failed');
}

const noJob = () => answerOf(null, 204, {});

/** A lease answer as FastAPI writes it: compact, with Python's number spelling for what was stored. */
function leaseAnswer(fields: [string, PyValue][]): Response {
  let body: string;
  try {
    body = pyDumps(new Map(fields), { compact: true });
  } catch (err) {
    // A stored NaN cannot be answered (FastAPI's encoder refuses it: 400); the lease expires and the job comes back.
    if (err instanceof PyJsonError) throw new ApiError(400, err.message);
    throw err;
  }
  return answerOf(body, 200, { 'content-type': 'application/json' });
}

export const leaseJob: Handler = async (ctx, call) => {
  const hash = workerTokenHash(call.request);
  const now = ctx.now();
  const ttl = ctx.config.ttl.lease;
  const leaseId = newLeaseId();
  // The index score is rounded up, so the lease never ends before the TTL the worker is told. The
  // hash outlives it: the legacy's sweep requeues an expired lease only while its hash exists (it
  // sets the hash's TTL to the lease time and usually finds it gone), so whichever plane sweeps
  // first, the job comes back. expires_at in the hash is what the legacy writes: now + lease TTL.
  const expiresAt = Math.ceil((now + ttl * 1000 + LEASE_GRACE_MS) / 1000);
  const hashTtl = Math.max(ttl + LEASE_HASH_MARGIN_SECONDS, ctx.config.ttl.result);
  const keys = [queueKey(), leaseIndexKey(), delayKey(), revokedTokensKey(), workerTokenKey(hash)];
  const args = [
    PREFIX,
    hash,
    epochSeconds(now),
    isoTime(now),
    leaseId,
    hashTtl,
    ctx.config.ttl.result,
    LEASE_BATCH,
    isoTime(now + ttl * 1000),
    expiresAt,
  ];
  const reply = checkWorker(scriptReply(await ctx.run(() => ctx.scripts.lease(keys.length, ...keys, ...args))));
  if (reply[0] === 'empty') return noJob();
  const jobId = String(reply[1]);
  if (reply[0] !== 'leased') {
    ctx.logger.warn('job failed instead of leased', { job_id: jobId, detail: reply[0] });
    return noJob();
  }
  // The script let only a JSON object through; one Python's grammar would not read goes out as JavaScript read it.
  const payload = tryPyLoads(reply[2] as string) ?? fromJs(parseObject(reply[2] as string) ?? {});
  // Missing meta, or meta that is not a JSON object, reads as {}.
  const meta = tryPyLoads(typeof reply[3] === 'string' ? reply[3] : null);
  return leaseAnswer([
    ['job_id', jobId],
    ['payload', leasePayload(payload)],
    ['lease_id', leaseId],
    ['lease_ttl_seconds', ttl],
    ['meta', meta !== undefined && isPyObject(meta) ? meta : new Map()],
  ]);
};

/**
 * The result as the legacy stores it, `json.dumps(result)`: its idempotency check compares these
 * bytes, so a retry through either plane must produce the same. From the request's own text when
 * the call carries it (`1` and `1.0` kept apart, key order as sent); else from the parsed value,
 * with the numbers of the fields the legacy's model types as float written as floats.
 */
function storedResultBytes(call: { body: unknown; bodyText?: unknown }, result: Record<string, unknown>): string {
  if (typeof call.bodyText === 'string') {
    const sent = tryPyLoads(call.bodyText);
    const inner = sent !== undefined && isPyObject(sent) ? sent.get('result') : undefined;
    if (inner !== undefined && isPyObject(inner)) return pyDumps(inner);
  }
  return pyDumps(fromJs(result, RESULT_FLOAT_FIELDS));
}

export const reportJobResult: Handler = async (ctx, call) => {
  const hash = workerTokenHash(call.request);
  const jobId = call.params.job_id!;
  const body = call.body as z.output<typeof WorkerResult>;
  const resultBytes = storedResultBytes(call, body.result);
  const keys = [
    statusKey(jobId),
    leaseKey(jobId),
    leaseIndexKey(),
    resultKey(jobId),
    summaryKey(jobId),
    freqsKey(jobId),
    revokedTokensKey(),
    workerTokenKey(hash),
  ];
  const args = [
    jobId,
    hash,
    body.lease_id,
    resultBytes,
    body.summary_text,
    body.freqs_csv,
    ctx.config.ttl.result,
    isoTime(ctx.now()),
  ];
  const reply = checkWorker(scriptReply(await ctx.run(() => ctx.scripts.result(keys.length, ...keys, ...args))));
  if (reply[0] === 'finished') {
    const [, result, summary, freqs] = reply;
    // As the legacy: the stored bytes against json.dumps of the result sent, the files as they are.
    const same = result === resultBytes && summary === body.summary_text && freqs === body.freqs_csv;
    if (!same) throw new ApiError(409, 'result already submitted');
    return jsonAnswer({ ok: true, idempotent: true });
  }
  refuseConflict(reply);
  return jsonAnswer({ ok: true, idempotent: false });
};

export const reportJobFailure: Handler = async (ctx, call) => {
  const hash = workerTokenHash(call.request);
  const jobId = call.params.job_id!;
  const body = call.body as z.output<typeof WorkerFailure>;
  const now = ctx.now();
  const { retry } = ctx.config;
  const keys = [
    statusKey(jobId),
    leaseKey(jobId),
    leaseIndexKey(),
    retryCountKey(jobId),
    delayKey(),
    deadLetterKey(),
    revokedTokensKey(),
    workerTokenKey(hash),
  ];
  const args = [
    jobId,
    hash,
    body.lease_id,
    retry.max,
    retry.baseDelay,
    retry.maxDelay,
    epochSeconds(now),
    isoTime(now),
    body.error_code,
    body.error_message,
    ctx.config.ttl.result,
  ];
  const reply = checkWorker(scriptReply(await ctx.run(() => ctx.scripts.failure(keys.length, ...keys, ...args))));
  refuseConflict(reply);
  return jsonAnswer({ ok: true, requeued: reply[0] === 'requeued', retry_count: Number(reply[1]) });
};
