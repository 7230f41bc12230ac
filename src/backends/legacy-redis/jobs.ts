import type { z } from 'zod';
import type { JobFileQuery, JobSubmission } from '../../contract/schemas/jobs.js';
import { answerOf, jsonAnswer } from '../../http/answer.js';
import type { OperationCall } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import { fromJs, isPyObject, PyJsonError, pyDumps, pyLoads } from '../../python/json.js';
import { checkSubmission } from '../../qe/submission.js';
import { fieldsOf } from '../../redis/replies.js';
import type { Handler, LegacyContext } from './context.js';
import { idempotencyOf, replayedSubmission, submitIdempotency } from './idempotency.js';
import {
  activeTargetKey,
  freqsKey,
  metaKey,
  ownerKey,
  payloadKey,
  queueKey,
  resultKey,
  statusKey,
  summaryKey,
  targetKey,
} from './keys.js';
import { zpeResult } from './models.js';
import { isoTime, newJobId, parseObject } from './values.js';

type Submission = z.output<typeof JobSubmission>;

/** The queue name of the user's active target; 400 when there is none or its record is gone. */
async function activeQueueName(ctx: LegacyContext, userId: string): Promise<string> {
  const target = await ctx.run(async () => {
    const id = await ctx.redis.get(activeTargetKey(userId));
    return id === null ? undefined : parseObject(await ctx.redis.get(targetKey(id)));
  });
  if (!target) throw new ApiError(400, 'no active queue target');
  return typeof target.queue_name === 'string' ? target.queue_name : ctx.config.queueName;
}

export const submitJob: Handler = async (ctx, call) => {
  const user = await ctx.users.authenticate(call.request);
  const body = call.body as Submission;
  const idempotency = idempotencyOf(call.request, user.id, body);
  const replayed = idempotency && (await replayedSubmission(ctx, idempotency));
  if (replayed) return jsonAnswer({ id: replayed });
  const queueName = await activeQueueName(ctx, user.id);
  const indices = checkSubmission(body);

  const jobId = newJobId();
  const structureId = body.structure_id ?? null;
  // Field order and bytes as the legacy's json.dumps writes them.
  const payload = {
    calc_type: body.calc_type,
    content: body.content,
    mobile_indices: indices,
    use_environ: body.use_environ,
    input_dir: body.input_dir ?? null,
    calc_mode: body.calc_mode,
    structure_id: structureId,
  };
  const meta = {
    request_id: call.requestId,
    user_id: user.id,
    structure_id: structureId,
    queue_name: queueName,
    calc_mode: body.calc_mode,
  };
  const keys = [payloadKey(jobId), queueKey(), statusKey(jobId), ownerKey(jobId), metaKey(jobId)];
  const args = [
    jobId,
    pyDumps(fromJs(payload)),
    user.id,
    pyDumps(fromJs(meta)),
    isoTime(ctx.now()),
    ctx.config.ttl.result,
  ];
  const extra = submitIdempotency(idempotency);
  const reply = await ctx.run(() =>
    ctx.scripts.submit(keys.length + extra.keys.length, ...keys, ...extra.keys, ...args, ...extra.args),
  );
  return jsonAnswer({ id: extra.answer(reply, jobId) });
};

const JOB_STATES = new Set(['queued', 'started', 'finished', 'failed']);

interface OwnedJob {
  status: Record<string, string>;
  /** The value of the extra key asked for, or null. */
  extra: string | null;
}

/** The legacy's owner rule: no owner record 404, someone else's job 403. */
function refuseOthersJob(owner: string | null, userId: string): void {
  if (owner === null) throw new ApiError(404, 'job not found');
  if (owner !== userId) throw new ApiError(403, 'forbidden');
}

/** The calling user and the owner rule alone, for answers given before the job is read (flag refusals). */
export async function identifyJobOwner(ctx: LegacyContext, call: OperationCall): Promise<void> {
  const user = await ctx.users.authenticate(call.request);
  refuseOthersJob(await ctx.run(() => ctx.redis.get(ownerKey(call.params.job_id!))), user.id);
}

/**
 * A job of the calling user, with one more of its keys read in the same round trip (one read-only
 * script, scripts/job-read.lua: no MULTI, the reads need no isolation). As the legacy: no owner
 * record 404, someone else's 403, no status 404, a status that is not one of the four 400.
 */
async function ownedJob(ctx: LegacyContext, call: OperationCall, extraKey?: string): Promise<OwnedJob> {
  const user = await ctx.users.authenticate(call.request);
  const jobId = call.params.job_id!;
  const keys = extraKey ? [ownerKey(jobId), statusKey(jobId), extraKey] : [ownerKey(jobId), statusKey(jobId)];
  const [owner, flatStatus, extra] = (await ctx.run(() => ctx.scripts['job-read'](keys.length, ...keys))) as [
    string | null,
    unknown,
    string | null,
  ];
  const status = fieldsOf(flatStatus);
  refuseOthersJob(owner, user.id);
  if (Object.keys(status).length === 0) throw new ApiError(404, 'job not found');
  if (status.status === undefined) throw new ApiError(400, "status payload missing 'status'");
  if (!JOB_STATES.has(status.status)) throw new ApiError(400, `invalid job state: ${status.status}`);
  return { status, extra };
}

export const getJobStatus: Handler = async (ctx, call) => {
  const { status } = await ownedJob(ctx, call);
  return jsonAnswer({
    status: status.status,
    detail: status.detail ? status.detail : null,
    updated_at: status.updated_at ? status.updated_at : null,
  });
};

/** A finished job's stored value: 409 while it is not finished or when it failed, 500 when it is gone. */
function finishedValue(job: OwnedJob, missing: string): string {
  const { status, detail } = job.status;
  if (status === 'failed') throw new ApiError(409, `job failed: ${detail || 'unknown'}`);
  if (status !== 'finished') throw new ApiError(409, `job not finished (status=${status})`);
  if (job.extra === null) throw new ApiError(500, missing);
  return job.extra;
}

export const getJobResult: Handler = async (ctx, call) => {
  const job = await ownedJob(ctx, call, resultKey(call.params.job_id!));
  const text = finishedValue(job, 'result missing after completion');
  let stored: ReturnType<typeof pyLoads>;
  try {
    stored = pyLoads(text);
  } catch (err) {
    if (err instanceof PyJsonError) throw new ApiError(400, err.message);
    throw err;
  }
  if (!isPyObject(stored)) throw new ApiError(400, 'invalid result payload type');
  // Older results name the grid `kpts`; renamed only where `kpoints` is absent (else it is an unknown key).
  if (stored.has('kpts') && !stored.has('kpoints')) {
    stored = new Map([...stored].map(([k, v]) => [k === 'kpts' ? 'kpoints' : k, v]));
  }
  const result = zpeResult(stored);
  if (!result) throw new ApiError(500, 'result data invalid');
  let body: string;
  try {
    body = pyDumps(new Map([['result', result]]), { compact: true });
  } catch (err) {
    // A stored NaN passes the model but not FastAPI's answer encoder: the legacy's 400 with its text.
    if (err instanceof PyJsonError) throw new ApiError(400, err.message);
    throw err;
  }
  return answerOf(body, 200, { 'content-type': 'application/json' });
};

const FILES = {
  summary: { key: summaryKey, type: 'text/plain; charset=utf-8', filename: 'summary.txt' },
  freqs: { key: freqsKey, type: 'text/csv; charset=utf-8', filename: 'freqs.csv' },
} as const;

export const downloadJobFile: Handler = async (ctx, call) => {
  const { kind } = call.query as z.output<typeof JobFileQuery>;
  const file = FILES[kind];
  const job = await ownedJob(ctx, call, file.key(call.params.job_id!));
  return answerOf(finishedValue(job, 'file missing after completion'), 200, {
    'content-type': file.type,
    'content-disposition': `attachment; filename="${file.filename}"`,
  });
};
