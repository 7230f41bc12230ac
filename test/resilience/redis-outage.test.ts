import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { RESULT, SMALL_INPUT } from '../support/legacy-fixture.js';
import { until } from '../support/until.js';
import { type DurableRedis, startDurableRedis } from './aof-redis.js';

/**
 * Redis paused (SIGSTOP/SIGCONT), then killed (SIGKILL) and started again from its append-only file,
 * while clients submit and workers lease and report: every submission answered 200 exists afterwards
 * and finishes exactly once; during the outage answers are 503 within the configured bound; the
 * gateway recovers without a restart; jobs whose leases were answered 503 come back by lease expiry.
 */

const REDIS_TIMEOUT_MS = 300;
/** Scheduling slack on a busy machine: "bounded", not "instant". */
const MARGIN_MS = 1500;
const LEASE_TTL_SECONDS = 2;
const SUBMITTERS = 4;
const WORKERS = 4;

let redis: DurableRedis;
let gateway: RunningGateway;
let workerToken: string;

beforeAll(async () => {
  redis = await startDurableRedis();
  gateway = await startGateway({
    ZPE_REDIS_URL: redis.url,
    ZPE_REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
    ZPE_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
  });
  const enroll = await gateway.fetch('/api/zpe/compute/enroll-tokens', { method: 'POST', user: 'alice', json: {} });
  const { token } = (await enroll.json()) as { token: string };
  const registered = await gateway.fetch('/api/zpe/compute/servers', { method: 'POST', json: { token, name: 'w' } });
  workerToken = ((await registered.json()) as { worker_token: string }).worker_token;
});
afterAll(async () => {
  await gateway?.close();
  await redis?.stop();
});

interface Tally {
  requests: number;
  statuses: Record<string, number>;
  slowest503: number;
  unexpected: string[];
}

const tally: Tally = { requests: 0, statuses: {}, slowest503: 0, unexpected: [] };

async function timed(name: string, path: string, init: Parameters<RunningGateway['fetch']>[1]) {
  const started = performance.now();
  const response = await gateway.fetch(path, { ...init, signal: AbortSignal.timeout(REDIS_TIMEOUT_MS + 10_000) });
  const text = await response.text();
  const ms = performance.now() - started;
  tally.requests++;
  const key = `${name} ${response.status}`;
  tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
  if (response.status === 503) {
    tally.slowest503 = Math.max(tally.slowest503, ms);
    if (!text.includes('redis unavailable')) tally.unexpected.push(`${key}: ${text}`);
  }
  return { status: response.status, text, ms };
}

const accepted = new Set<string>();
/** Results the gateway applied per job: idempotent:false, or idempotent:true after a 503 (applied then). */
const applied = new Map<string, number>();
let running = true;

async function submitter() {
  while (running) {
    const answer = await timed('submit', '/api/zpe/jobs', {
      method: 'POST',
      user: 'alice',
      json: { content: SMALL_INPUT, mobile_indices: [2, 3] },
    });
    if (answer.status === 200) accepted.add((JSON.parse(answer.text) as { id: string }).id);
    else if (answer.status !== 503) tally.unexpected.push(`submit ${answer.status}: ${answer.text}`);
  }
}

/** Posts a result until the answer is definite (not 503); counts it when it was applied. */
async function report(jobId: string, leaseId: string) {
  let unsure = false;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const answer = await timed('result', `/api/zpe/compute/jobs/${jobId}/result`, {
      method: 'POST',
      headers: { authorization: `Bearer ${workerToken}` },
      json: { lease_id: leaseId, result: RESULT, summary_text: 's', freqs_csv: 'f' },
    });
    if (answer.status === 503) {
      unsure = true;
      continue;
    }
    if (answer.status === 200) {
      const { idempotent } = JSON.parse(answer.text) as { idempotent: boolean };
      if (!idempotent || unsure) applied.set(jobId, (applied.get(jobId) ?? 0) + 1);
    } else if (answer.status !== 409) tally.unexpected.push(`result ${answer.status}: ${answer.text}`);
    return;
  }
}

async function worker(until: () => boolean) {
  while (!until()) {
    const answer = await timed('lease', '/api/zpe/compute/jobs/lease', {
      method: 'POST',
      headers: { authorization: `Bearer ${workerToken}` },
    });
    if (answer.status === 200) {
      const { job_id, lease_id } = JSON.parse(answer.text) as { job_id: string; lease_id: string };
      await report(job_id, lease_id);
    } else if (answer.status === 204) {
      // Nothing to do now: poll again shortly, as a worker does.
      await new Promise((r) => setTimeout(r, 25));
    } else if (answer.status !== 503) tally.unexpected.push(`lease ${answer.status}: ${answer.text}`);
  }
}

async function statusOf(ids: string[]): Promise<(string | null)[]> {
  const raw = redis.client();
  try {
    const pipeline = raw.pipeline();
    for (const id of ids) pipeline.hget(`zpe:status:${id}`, 'status');
    return ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
  } finally {
    raw.disconnect();
  }
}

const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis paused, then killed and restarted from its AOF, under load', () => {
  it('loses no accepted job, finishes each once, answers 503 within the bound, recovers by itself', async () => {
    let draining = false;
    const submitters = Array.from({ length: SUBMITTERS }, () => submitter());
    const workers = Array.from({ length: WORKERS }, () => worker(() => draining));
    // The fault durations are part of the scenario, not synchronisation.
    await until(() => accepted.size >= 20, 10_000);
    redis.pause();
    await hold(1500);
    redis.resume();
    await until(() => accepted.size >= 60, 15_000);
    await redis.kill();
    await hold(1000);
    await redis.restart();
    const afterRestart = accepted.size;
    await until(() => accepted.size >= afterRestart + 40, 15_000);
    running = false;
    await Promise.all(submitters);

    // Drain: the workers go on until every accepted job finished (leases answered 503 expire and return).
    const ids = [...accepted];
    await until(async () => (await statusOf(ids)).every((s) => s === 'finished'), 30_000, 200);
    draining = true;
    await Promise.all(workers);

    const statuses = await statusOf(ids);
    const missing = ids.filter((_, i) => statuses[i] === null);
    const twice = ids.filter((id) => (applied.get(id) ?? 0) > 1);
    const neverApplied = ids.filter((id) => (applied.get(id) ?? 0) === 0);
    const ghosts = [...applied.keys()].filter((id) => !accepted.has(id));
    console.log(
      `redis outage: ${tally.requests} requests, statuses ${JSON.stringify(tally.statuses)}, ` +
        `slowest 503 ${Math.round(tally.slowest503)} ms, accepted ${ids.length}, finished ${statuses.filter((s) => s === 'finished').length}, ` +
        `jobs lost ${missing.length}, finished twice ${twice.length}, ` +
        `submissions answered 503 that ran anyway ${ghosts.length}`,
    );
    expect(tally.unexpected).toEqual([]);
    expect(tally.statuses['submit 503'] ?? 0, 'the outage was seen by clients').toBeGreaterThan(0);
    expect(tally.slowest503).toBeLessThan(REDIS_TIMEOUT_MS + MARGIN_MS);
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
    expect(neverApplied).toEqual([]);
    // Recovery without a restart: the same gateway serves again.
    const health = await gateway.fetch('/readyz');
    expect(health.status).toBe(200);
  });
});
