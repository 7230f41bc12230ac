import type { z } from 'zod';
import { bearerToken } from '../../auth/identity.js';
import type {
  EnrollTokenRequest,
  ServerRegistration,
  WorkerFailure,
  WorkerResult,
} from '../../contract/schemas/compute.js';
import { ApiError } from '../../http/errors.js';
import { execBatch, type Handler, type ScriptReply, scriptReply } from './context.js';
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
import {
  epochSeconds,
  isoTime,
  newLeaseId,
  newServerId,
  newTargetId,
  newToken,
  parseObject,
  renameKpts,
  sameJson,
  tokenHash,
} from './values.js';

/** Longest enrollment-token lifetime accepted: tokens are single-use and meant to be used soon. */
const MAX_ENROLL_TTL_SECONDS = 365 * 24 * 3600;
/** Tokens this gateway and the legacy issue are 43 characters of URL-safe base64; anything else is no token. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,256}$/;
/** Expired leases and due retries moved per lease call, so one call stays short after a long pause. */
const LEASE_BATCH = 1000;

export const createEnrollToken: Handler = async (ctx, call) => {
  // "User or admin": the admin bearer token makes an unowned token, anyone else must be a user.
  const ownerId = ctx.admin.isAdmin(call.request) ? '' : (await ctx.users.authenticate(call.request)).id;
  const body = call.body as z.output<typeof EnrollTokenRequest>;
  const ttl = body.ttl_seconds ?? ctx.config.ttl.enrollToken;
  if (ttl <= 0) throw new ApiError(400, 'ttl_seconds must be positive');
  if (ttl > MAX_ENROLL_TTL_SECONDS) throw new ApiError(400, `ttl_seconds must be at most ${MAX_ENROLL_TTL_SECONDS}`);
  const token = newToken();
  const now = ctx.now();
  const key = enrollKey(token);
  const fields = { created_at: isoTime(now), label: body.label ?? '', owner_id: ownerId };
  await ctx.run(() => execBatch(ctx.redis.multi().hset(key, fields).expire(key, ttl)));
  return Response.json({ token, expires_at: isoTime(now + ttl * 1000), ttl_seconds: ttl, label: body.label ?? null });
};

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
  const keys = [enrollKey(body.token), serverKey(serverId), workerTokenKey(hash), workerTokensKey(serverId)];
  const args = [
    PREFIX,
    serverId,
    registeredAt,
    body.name ?? '',
    body.meta ? JSON.stringify(body.meta) : '',
    hash,
    expiresAt,
    ttl,
    newTargetId(),
    body.queue_name || ctx.config.queueName,
  ];
  const reply = scriptReply(await ctx.run(() => ctx.scripts.register(keys.length, ...keys, ...args)));
  if (reply[0] === 'invalid') throw new ApiError(400, 'invalid enroll token');
  return Response.json({
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
  return Response.json({ revoked_count: Number(count) });
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
  return reply;
}

/** Lease answers a script gives for a job the worker cannot have (409). */
function refuseConflict(reply: ScriptReply): void {
  if (reply[0] === 'lease not found' || reply[0] === 'lease mismatch') throw new ApiError(409, reply[0]);
  if (reply[0] === 'job failed') throw new ApiError(409, reply[1] ? `job failed: ${reply[1]}` : 'job failed');
  if (reply[0] === 'job finished') throw new ApiError(409, 'job already finished');
}

const noJob = () => new Response(null, { status: 204 });

export const leaseJob: Handler = async (ctx, call) => {
  const hash = workerTokenHash(call.request);
  const now = ctx.now();
  const ttl = ctx.config.ttl.lease;
  const leaseId = newLeaseId();
  const keys = [queueKey(), leaseIndexKey(), delayKey(), revokedTokensKey(), workerTokenKey(hash)];
  const args = [
    PREFIX,
    hash,
    epochSeconds(now),
    isoTime(now),
    leaseId,
    ttl,
    ctx.config.ttl.result,
    LEASE_BATCH,
    isoTime(now + ttl * 1000),
  ];
  const reply = checkWorker(scriptReply(await ctx.run(() => ctx.scripts.lease(keys.length, ...keys, ...args))));
  if (reply[0] === 'empty') return noJob();
  const jobId = String(reply[1]);
  if (reply[0] !== 'leased') {
    ctx.logger.warn('job failed instead of leased', { job_id: jobId, detail: reply[0] });
    return noJob();
  }
  return Response.json({
    job_id: jobId,
    payload: parseObject(reply[2] as string) ?? {},
    lease_id: leaseId,
    lease_ttl_seconds: ttl,
    // Missing or unreadable meta reads as {}.
    meta: parseObject(reply[3] as string | null) ?? {},
  });
};

export const reportJobResult: Handler = async (ctx, call) => {
  const hash = workerTokenHash(call.request);
  const jobId = call.params.job_id!;
  const body = call.body as z.output<typeof WorkerResult>;
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
    JSON.stringify(body.result),
    body.summary_text,
    body.freqs_csv,
    ctx.config.ttl.result,
    isoTime(ctx.now()),
  ];
  const reply = checkWorker(scriptReply(await ctx.run(() => ctx.scripts.result(keys.length, ...keys, ...args))));
  if (reply[0] === 'finished') {
    const [, result, summary, freqs] = reply;
    const stored = parseObject(result as string | null);
    const same =
      stored !== undefined &&
      sameJson(renameKpts(stored), renameKpts(body.result)) &&
      summary === body.summary_text &&
      freqs === body.freqs_csv;
    if (!same) throw new ApiError(409, 'result already submitted');
    return Response.json({ ok: true, idempotent: true });
  }
  refuseConflict(reply);
  return Response.json({ ok: true, idempotent: false });
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
  return Response.json({ ok: true, requeued: reply[0] === 'requeued', retry_count: Number(reply[1]) });
};
