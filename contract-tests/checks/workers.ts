import { expectStatus } from '../client.js';
import { CheckFailure, expect, need } from '../report.js';
import { FREQS_CSV, QE_INPUT, SUMMARY_TEXT, WORKER_RESULT } from '../samples.js';
import { type JobResultBody, type JobStatusBody, type LeaseBody, type SuiteContext, sameJson } from './context.js';
import { SUBMIT_CHECK, submitSampleJob } from './users.js';

const LEASE = '/api/zpe/compute/jobs/lease';
const RESULT = '/api/zpe/compute/jobs/{job_id}/result';
const FAILED = '/api/zpe/compute/jobs/{job_id}/failed';
const STATUS = '/api/zpe/jobs/{job_id}';

const LEASE_CHECK = 'worker: lease until the submitted job comes';
const RESULT_CHECK = 'worker: report the result with the lease id';

/**
 * Leases with the worker token until `jobId` comes out, a bounded number of times. The queue is
 * shared: jobs of others may come first; they are left to their lease expiry, which requeues them.
 */
export async function leaseUntil(ctx: SuiteContext, workerToken: string, jobId: string): Promise<LeaseBody> {
  let others = 0;
  for (let attempt = 0; attempt < ctx.maxLeaseAttempts; attempt++) {
    const answer = await ctx.client.call('post', LEASE, { auth: { bearer: workerToken } });
    expectStatus(answer, 200, 204);
    if (answer.status === 204) {
      throw new CheckFailure(
        `the queue ran empty (204) before job ${jobId} was leased (${others} other jobs came first)`,
      );
    }
    const lease = answer.json as LeaseBody;
    if (lease.job_id === jobId) return lease;
    others += 1;
  }
  throw new CheckFailure(`job ${jobId} did not come within ${ctx.maxLeaseAttempts} leases`);
}

async function jobStatus(ctx: SuiteContext, jobId: string): Promise<JobStatusBody> {
  const answer = await ctx.client.call('get', STATUS, { auth: ctx.user, params: { job_id: jobId } });
  expectStatus(answer, 200);
  return answer.json as JobStatusBody;
}

const resultBody = (leaseId: string, result: object = WORKER_RESULT) => ({
  lease_id: leaseId,
  result,
  summary_text: SUMMARY_TEXT,
  freqs_csv: FREQS_CSV,
});

export async function workerChecks(ctx: SuiteContext): Promise<void> {
  const { checks, client, state } = ctx;

  await checks.run(LEASE_CHECK, async () => {
    const jobId = need(state.jobId, SUBMIT_CHECK);
    const token = need(state.workerToken, 'user: register a server with the token');
    const lease = await leaseUntil(ctx, token, jobId);
    expect(lease.lease_id.length > 0, 'the lease id is empty');
    expect(lease.lease_ttl_seconds > 0, `lease_ttl_seconds is ${lease.lease_ttl_seconds}`);
    expect(lease.payload.content === QE_INPUT, 'the leased payload does not carry the submitted QE input');
    state.lease = { jobId, leaseId: lease.lease_id };
  });

  await checks.run('errors: a wrong lease id is 409', async () => {
    const lease = need(state.lease, LEASE_CHECK);
    const wrong = lease.leaseId === '0'.repeat(32) ? '1'.repeat(32) : '0'.repeat(32);
    const answer = await client.call('post', RESULT, {
      auth: { bearer: need(state.workerToken, LEASE_CHECK) },
      params: { job_id: lease.jobId },
      json: resultBody(wrong),
    });
    expectStatus(answer, 409);
  });

  await checks.run(RESULT_CHECK, async () => {
    const lease = need(state.lease, LEASE_CHECK);
    const answer = await client.call('post', RESULT, {
      auth: { bearer: need(state.workerToken, LEASE_CHECK) },
      params: { job_id: lease.jobId },
      json: resultBody(lease.leaseId),
    });
    expectStatus(answer, 200);
    const body = answer.json as { ok: boolean; idempotent: boolean };
    expect(body.ok && !body.idempotent, `answered ${answer.text}, expected ok and not idempotent`);
    state.resultStored = true;
  });

  await checks.run('worker: the same result again is idempotent', async () => {
    const lease = need(state.resultStored ? state.lease : undefined, RESULT_CHECK);
    const answer = await client.call('post', RESULT, {
      auth: { bearer: need(state.workerToken, LEASE_CHECK) },
      params: { job_id: lease.jobId },
      json: resultBody(lease.leaseId),
    });
    expectStatus(answer, 200);
    const body = answer.json as { ok: boolean; idempotent: boolean };
    expect(body.ok && body.idempotent, `answered ${answer.text}, expected ok and idempotent`);
  });

  await checks.run('worker: a different result for a finished job is 409', async () => {
    const lease = need(state.resultStored ? state.lease : undefined, RESULT_CHECK);
    const answer = await client.call('post', RESULT, {
      auth: { bearer: need(state.workerToken, LEASE_CHECK) },
      params: { job_id: lease.jobId },
      json: resultBody(lease.leaseId, { ...WORKER_RESULT, zpe_ev: WORKER_RESULT.zpe_ev + 1 }),
    });
    expectStatus(answer, 409);
  });

  await checks.run('user: a finished job has its status, result and files', async () => {
    const lease = need(state.resultStored ? state.lease : undefined, RESULT_CHECK);
    const params = { job_id: lease.jobId };
    const { status } = await jobStatus(ctx, lease.jobId);
    expect(status === 'finished', `status is ${status}, expected finished`);

    const result = await client.call('get', '/api/zpe/jobs/{job_id}/result', { auth: ctx.user, params });
    expectStatus(result, 200);
    expect(sameJson((result.json as JobResultBody).result, WORKER_RESULT), 'the result is not the one reported');

    const files = [
      { kind: 'summary', media: 'text/plain', text: SUMMARY_TEXT },
      { kind: 'freqs', media: 'text/csv', text: FREQS_CSV },
    ];
    for (const file of files) {
      const answer = await client.call('get', '/api/zpe/jobs/{job_id}/files', {
        auth: ctx.user,
        params,
        query: { kind: file.kind },
      });
      expectStatus(answer, 200);
      expect(answer.contentType?.startsWith(file.media), `${file.kind} came as ${answer.contentType}`);
      expect(answer.text === file.text, `the ${file.kind} file is not the one reported`);
      const disposition = answer.headers.get('content-disposition') ?? '';
      expect(/attachment/i.test(disposition), `${file.kind}: Content-Disposition is '${disposition}'`);
    }
  });

  await checks.run('worker: a reported failure requeues the job with a retry count', async () => {
    const token = need(state.workerToken, 'user: register a server with the token');
    need(state.jobId, SUBMIT_CHECK);
    const jobId = await submitSampleJob(ctx);
    const lease = await leaseUntil(ctx, token, jobId);
    const answer = await client.call('post', FAILED, {
      auth: { bearer: token },
      params: { job_id: jobId },
      json: { lease_id: lease.lease_id, error_code: 'conformance', error_message: 'a deliberate failure' },
    });
    expectStatus(answer, 200);
    const body = answer.json as { ok: boolean; requeued: boolean; retry_count: number };
    expect(body.ok && body.retry_count === 1, `answered ${answer.text}, expected ok with retry_count 1`);
    const { status } = await jobStatus(ctx, jobId);
    const wanted = body.requeued ? 'queued' : 'failed';
    expect(status === wanted, `status is ${status} after requeued=${body.requeued}, expected ${wanted}`);
  });
}
