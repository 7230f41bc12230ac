import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRaw, type LegacyGateway, RESULT, startLegacyGateway } from '../support/legacy-fixture.js';

/**
 * 50 workers over 5,000 jobs, failing some at random and leaving some leases to expire: every job ends
 * finished or dead-lettered exactly once, a result posted inside its lease is accepted, and no job is
 * ever leased to two workers at once. Seeded (RESILIENCE_SEED), seed printed.
 */

const JOBS = Number(process.env.RESILIENCE_JOBS ?? 5_000);
const WORKERS = 50;
const LEASE_TTL_SECONDS = 2;
const P_FAIL = 0.1;
const P_ABANDON = 0.03;
const SEED = Number(process.env.RESILIENCE_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let gw: LegacyGateway;
beforeAll(async () => {
  gw = await startLegacyGateway({
    ZPE_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
    // Not a Redis fault test: a slow shared machine must not turn into 503s here.
    ZPE_REDIS_TIMEOUT_MS: '10000',
    ZPE_RETRY_MAX: '1',
    ZPE_RETRY_BASE_DELAY_SECONDS: '0',
    ZPE_RETRY_MAX_DELAY_SECONDS: '0',
  });
});
afterAll(() => gw?.close());

interface Holder {
  worker: number;
  /** When the lease request was sent: the lease runs at least until sentAt + TTL. */
  sentAt: number;
  /** Set when a result or failure for it was sent: from then on the job may be free again. */
  releasing: boolean;
}

describe('50 workers, 5,000 jobs, random failures and abandoned leases', () => {
  it('every job ends finished or dead-lettered exactly once; no job is leased twice at once', async () => {
    const random = seeded(SEED);
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => gw.registerWorker('alice')));
    const ids = await enqueueRaw(gw.raw, 'alice', JOBS);
    const ttlMs = LEASE_TTL_SECONDS * 1000;
    const holders = new Map<string, Holder>();
    const violations: string[] = [];
    const accepted = new Map<string, number>();
    const figures = {
      requests: 0,
      leases: 0,
      results: 0,
      failures: 0,
      abandoned: 0,
      statuses: {} as Record<string, number>,
    };
    const count = (what: string, status: number) => {
      figures.requests++;
      figures.statuses[`${what} ${status}`] = (figures.statuses[`${what} ${status}`] ?? 0) + 1;
    };
    const isDone = async () => {
      const [queued, leased, delayed] = await Promise.all([
        gw.raw.llen('zpe:queue'),
        gw.raw.zcard('zpe:lease:index'),
        gw.raw.zcard('zpe:delay'),
      ]);
      return queued + leased + delayed === 0;
    };

    const run = async (index: number) => {
      const token = workers[index]!.worker_token;
      const deadline = Date.now() + 160_000;
      while (Date.now() < deadline) {
        const sentAt = performance.now();
        const lease = await gw.lease(token);
        count('lease', lease.status);
        if (lease.status === 204) {
          if (await isDone()) return;
          // Leases left to expire come back once their TTL is over: poll as a worker does.
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (lease.status !== 200) {
          violations.push(`lease answered ${lease.status}: ${lease.text}`);
          return;
        }
        figures.leases++;
        const receivedAt = performance.now();
        const { job_id: jobId, lease_id: leaseId } = lease.json as { job_id: string; lease_id: string };
        const previous = holders.get(jobId);
        if (previous && !previous.releasing && receivedAt < previous.sentAt + ttlMs)
          violations.push(`${jobId} leased to worker ${index} while worker ${previous.worker}'s lease still ran`);
        const holder: Holder = { worker: index, sentAt, releasing: false };
        holders.set(jobId, holder);

        const roll = random();
        if (roll < P_ABANDON) {
          figures.abandoned++;
          continue;
        }
        holder.releasing = true;
        const bearer = token;
        if (roll < P_ABANDON + P_FAIL) {
          const failed = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
            bearer,
            body: { lease_id: leaseId, error_code: 'E_RANDOM', error_message: 'injected' },
          });
          count('failed', failed.status);
          figures.failures++;
          if (failed.status !== 200 && performance.now() < sentAt + ttlMs)
            violations.push(`failure inside the lease refused: ${failed.status} ${failed.text}`);
          continue;
        }
        const posted = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
          bearer,
          body: { lease_id: leaseId, result: RESULT, summary_text: 's', freqs_csv: 'f' },
        });
        count('result', posted.status);
        figures.results++;
        if (posted.status === 200 && !(posted.json as { idempotent: boolean }).idempotent)
          accepted.set(jobId, (accepted.get(jobId) ?? 0) + 1);
        // Answered before the lease could have ended: it was posted inside it, and must be accepted.
        else if (posted.status !== 200 && performance.now() < sentAt + ttlMs)
          violations.push(`result inside the lease refused: ${posted.status} ${posted.text}`);
      }
      violations.push(`worker ${index} did not finish in time`);
    };

    const started = performance.now();
    await Promise.all(workers.map((_, i) => run(i)));
    const seconds = (performance.now() - started) / 1000;

    const pipeline = gw.raw.pipeline();
    for (const id of ids) pipeline.hget(`zpe:status:${id}`, 'status');
    const statuses = ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
    const dlq = await gw.raw.lrange('zpe:dlq', 0, -1);
    const finished = ids.filter((_, i) => statuses[i] === 'finished');
    const dead = ids.filter((_, i) => statuses[i] === 'failed');
    const other = ids.filter((_, i) => statuses[i] !== 'finished' && statuses[i] !== 'failed');
    const finishedTwice = finished.filter((id) => (accepted.get(id) ?? 0) !== 1);
    console.log(
      `workers (seed ${SEED}): ${figures.requests} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(figures.statuses)}, ` +
        `leases ${figures.leases}, abandoned ${figures.abandoned}, failures reported ${figures.failures}; ` +
        `jobs finished ${finished.length}, dead-lettered ${dead.length}, lost ${other.length}, ` +
        `not finished exactly once ${finishedTwice.length}, double leases ${violations.filter((v) => v.includes('still ran')).length}`,
    );
    expect(violations, `seed ${SEED}`).toEqual([]);
    expect(other, `seed ${SEED}: every job ends finished or dead-lettered`).toEqual([]);
    expect(finished.length + dead.length).toBe(JOBS);
    expect(finishedTwice, `seed ${SEED}: each finished job accepted exactly one result`).toEqual([]);
    expect([...dlq].sort(), `seed ${SEED}: the dead letters are the failed jobs, once each`).toEqual([...dead].sort());
    expect(figures.abandoned, 'some leases were left to expire').toBeGreaterThan(0);
    expect(dead.length, 'some jobs were dead-lettered').toBeGreaterThan(0);
  }, 175_000);
});
