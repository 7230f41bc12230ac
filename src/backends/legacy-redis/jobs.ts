import type { z } from 'zod';
import type { JobFileQuery, JobSubmission } from '../../contract/schemas/jobs.js';
import type { OperationCall } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import { checkSubmission } from '../../qe/submission.js';
import { execBatch, type Handler, type LegacyContext } from './context.js';
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
import { isoTime, newJobId, parseObject, renameKpts } from './values.js';

type Submission = z.output<typeof JobSubmission>;

/** The queue name of the user's active target; 400 when there is none. */
async function activeQueueName(ctx: LegacyContext, userId: string): Promise<string> {
  const target = await ctx.run(async () => {
    const id = await ctx.redis.get(activeTargetKey(userId));
    return id === null ? undefined : parseObject(await ctx.redis.get(targetKey(id)));
  });
  if (!target || target.user_id !== userId) throw new ApiError(400, 'no active queue target');
  return typeof target.queue_name === 'string' && target.queue_name !== '' ? target.queue_name : ctx.config.queueName;
}

export const submitJob: Handler = async (ctx, call) => {
  const user = await ctx.users.authenticate(call.request);
  const body = call.body as Submission;
  const queueName = await activeQueueName(ctx, user.id);
  const indices = checkSubmission(body);

  const jobId = newJobId();
  const structureId = body.structure_id ?? null;
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
    JSON.stringify(payload),
    user.id,
    JSON.stringify(meta),
    isoTime(ctx.now()),
    ctx.config.ttl.result,
  ];
  await ctx.run(() => ctx.scripts.submit(keys.length, ...keys, ...args));
  return Response.json({ id: jobId });
};

interface OwnedJob {
  status: Record<string, string>;
  /** The value of the extra key asked for, or null. */
  extra: string | null;
}

/**
 * A job of the calling user, with one more of its keys read in the same round trip. Unknown: 404;
 * someone else's: 403. A job without an owner record cannot be shown to be the caller's: 404.
 */
async function ownedJob(ctx: LegacyContext, call: OperationCall, extraKey?: string): Promise<OwnedJob> {
  const user = await ctx.users.authenticate(call.request);
  const jobId = call.params.job_id!;
  const replies = await ctx.run(async () => {
    const pipeline = ctx.redis.pipeline().get(ownerKey(jobId)).hgetall(statusKey(jobId));
    if (extraKey) pipeline.get(extraKey);
    return execBatch(pipeline);
  });
  const owner = replies[0] as string | null;
  const status = (replies[1] ?? {}) as Record<string, string>;
  if (owner === null || status.status === undefined) throw new ApiError(404, 'job not found');
  if (owner !== user.id) throw new ApiError(403, 'job belongs to another user');
  return { status, extra: extraKey ? ((replies[2] ?? null) as string | null) : null };
}

export const getJobStatus: Handler = async (ctx, call) => {
  const { status } = await ownedJob(ctx, call);
  return Response.json({
    status: status.status,
    detail: status.detail ? status.detail : null,
    updated_at: status.updated_at ? status.updated_at : null,
  });
};

/** A finished job's stored value; 409 when the job failed, 404 while it is not there. */
function finishedValue(job: OwnedJob, what: string): string {
  if (job.status.status === 'failed') {
    throw new ApiError(409, job.status.detail ? `job failed: ${job.status.detail}` : 'job failed');
  }
  if (job.extra === null) {
    const live = job.status.status === 'queued' || job.status.status === 'started';
    throw new ApiError(404, live ? `${what} not ready: the job is ${job.status.status}` : `${what} not found`);
  }
  return job.extra;
}

export const getJobResult: Handler = async (ctx, call) => {
  const job = await ownedJob(ctx, call, resultKey(call.params.job_id!));
  const result = parseObject(finishedValue(job, 'result'));
  if (!result) throw new ApiError(502, 'the stored result is not a JSON object');
  return Response.json({ result: renameKpts(result) });
};

const FILES = {
  summary: { key: summaryKey, type: 'text/plain; charset=utf-8', filename: 'summary.txt' },
  freqs: { key: freqsKey, type: 'text/csv; charset=utf-8', filename: 'freqs.csv' },
} as const;

export const downloadJobFile: Handler = async (ctx, call) => {
  const { kind } = call.query as z.output<typeof JobFileQuery>;
  const file = FILES[kind];
  const job = await ownedJob(ctx, call, file.key(call.params.job_id!));
  return new Response(finishedValue(job, file.filename), {
    headers: { 'content-type': file.type, 'content-disposition': `attachment; filename="${file.filename}"` },
  });
};
