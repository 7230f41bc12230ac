import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import { giveTarget, type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

/**
 * A progressive rollout of submissions over two gateway instances on one Redis, with an HTTP legacy
 * and a next-gen (loopback stand-ins that count what they serve): stickiness across instances,
 * single write and read continuity at every step, the legacy keys at every step, and a guard that
 * rolls back by itself on evidence, exactly once.
 */
const BOUND_MS = 1000;
const USERS = Array.from({ length: 40 }, (_, i) => `ro-user-${i}`);

type Json = Record<string, unknown>;

let redis: PrivateRedis;
let raw: Redis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let a: RunningGateway;
let b: RunningGateway;
const jobs: { id: string; user: string }[] = [];

async function patch(gateway: RunningGateway, change: Json) {
  const response = await gateway.fetch('/api/zpe/admin/ops', {
    method: 'PATCH',
    admin: true,
    json: change,
    headers: { 'x-zpe-actor': 'jane' },
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function ops(gateway: RunningGateway): Promise<Json> {
  return (await (await gateway.fetch('/api/zpe/admin/ops', { admin: true })).json()) as Json;
}

async function submit(gateway: RunningGateway, user: string) {
  const response = await gateway.fetch('/api/zpe/jobs', {
    method: 'POST',
    user,
    json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
  });
  const body = (await response.json()) as { id?: string };
  if (response.status === 200 && body.id) jobs.push({ id: body.id, user });
  return {
    status: response.status,
    backend: response.headers.get('x-zpe-backend'),
    reason: response.headers.get('x-zpe-route-reason'),
  };
}

const submissions = () => legacy.served('submitJob') + nextgen.served('submitJob');

/** Every job submitted so far is readable by its owner (through either instance, alternately). */
async function everyJobReadable() {
  await Promise.all(
    jobs.map(async (job, i) => {
      const response = await (i % 2 === 0 ? a : b).fetch(`/api/zpe/jobs/${job.id}`, { user: job.user });
      expect(response.status, `${job.id} of ${job.user}`).toBe(200);
      await response.arrayBuffer();
    }),
  );
}

/** Waits until both instances route by the same rollout state (same flags version). */
async function bothSee(version: string) {
  for (const gateway of [a, b]) {
    await until(async () => {
      const response = await gateway.fetch('/api/zpe/targets', { user: 'probe' });
      await response.arrayBuffer();
      return response.headers.get('x-zpe-flags-version') === version;
    }, BOUND_MS * 2);
  }
}

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  const env = {
    ZPE_REDIS_URL: redis.url,
    ZPE_LEGACY_URL: legacy.origin,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_FLAG_STALENESS_MS: String(BOUND_MS),
  };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  for (const user of USERS) await Promise.all([giveTarget(legacy, user), giveTarget(nextgen, user)]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

beforeEach(() => {
  nextgen.setFault(undefined);
});

describe('a progressive rollout of submissions', () => {
  it('5 % -> 25 % -> 100 %: sticky across instances, one backend per submission, every job readable, legacy keys as documented', async () => {
    const inside = new Map<number, Set<string>>();
    for (const percent of [5, 25, 100]) {
      const step = await patch(a, { rollout: { submission_route: { percent } }, reason: `GRA-22 ${percent}%` });
      expect(step.status, JSON.stringify(step.body)).toBe(200);
      await bothSee(String(step.body.version));
      // What the legacy control plane beside the gateway reads.
      expect(await raw.get('zpe:ops:submission_route')).toBe(percent < 100 ? 'redis-worker' : 'next-gen');
      expect(await raw.ttl('zpe:ops:submission_route')).toBeGreaterThan(0);
      const stored = JSON.parse((await raw.get('zpe:ops:rollout:submission_route')) ?? '{}') as Json;
      expect(stored).toMatchObject({ percent, target: 'next-gen', actor: 'admin:jane', reason: `GRA-22 ${percent}%` });

      const before = submissions();
      const here = new Set<string>();
      for (const [i, user] of USERS.entries()) {
        const onA = await submit(a, user);
        const onB = await submit(b, user);
        expect(onA.status).toBe(200);
        expect(onB.backend, `${user} is routed the same way on both instances`).toBe(onA.backend);
        expect(onB.reason).toBe(onA.reason);
        if (onA.backend === 'nextgen') {
          here.add(user);
          expect(onA.reason).toBe(`rollout:submission_route=next-gen@${percent}%`);
        } else {
          expect(onA.reason).toBe(`rollout:submission_route=redis-worker@${100 - percent}%`);
        }
        expect(submissions() - before, 'each submission reached exactly one backend').toBe(2 * (i + 1));
      }
      inside.set(percent, here);
      await everyJobReadable();
    }
    const five = inside.get(5) ?? new Set();
    const twentyFive = inside.get(25) ?? new Set();
    expect(
      [...five].every((u) => twentyFive.has(u)),
      'raising only adds users',
    ).toBe(true);
    expect(twentyFive.size).toBeGreaterThan(five.size);
    expect(inside.get(100)?.size).toBe(USERS.length);

    // Stop: everybody back to legacy, the legacy key with its own value, still every job readable.
    const stop = await patch(a, { rollout: { submission_route: null }, reason: 'done with the drill' });
    expect(stop.status).toBe(200);
    expect(await raw.get('zpe:ops:submission_route')).toBe('redis-worker');
    expect(await raw.exists('zpe:ops:rollout:submission_route')).toBe(0);
    await bothSee(String(stop.body.version));
    expect((await submit(b, USERS[0] ?? '')).reason).toBe('flag:submission_route=redis-worker');
    await everyJobReadable();
  }, 120_000);

  it('is refused like the flag it moves: result_read_source before submissions, a next-gen that fails its check', async () => {
    const early = await patch(a, { rollout: { result_read_source: { percent: 10 } }, reason: 'too early' });
    expect(early.status).toBe(409);
    expect((early.body.error as Json).message).toContain(
      'step 1: next-gen submission path replaces POST /api/zpe/jobs',
    );
    expect(await raw.exists('zpe:ops:rollout:result_read_source')).toBe(0);
    const both = await patch(a, {
      submission_route: 'next-gen',
      rollout: { submission_route: { percent: 10 } },
      reason: 'x',
    });
    expect(both.status).toBe(400);
  });

  it('a next-gen that starts failing trips the guard: one automatic rollback across two instances, with its evidence', async () => {
    const guard = { max_error_ratio: 0.02, window_seconds: 30, min_requests: 10 };
    const start = await patch(a, { rollout: { submission_route: { percent: 50, guard } }, reason: 'canary' });
    expect(start.status).toBe(200);
    await bothSee(String(start.body.version));
    const insiders: string[] = [];
    for (const user of USERS) if ((await submit(a, user)).backend === 'nextgen') insiders.push(user);
    expect(insiders.length).toBeGreaterThan(10);
    await everyJobReadable();

    nextgen.setFault({ kind: 'status', status: 500 }, ['submitJob']);
    for (const [i, user] of insiders.entries()) {
      const answer = await submit(i % 2 === 0 ? a : b, user);
      if (answer.backend !== 'nextgen') break;
      // A 500 is not a status submitJob declares: the client gets the gateway's 502 in the envelope.
      expect(answer.status).toBe(502);
    }
    // The elected instance rolls back; both route every insider to legacy within the bound after.
    await until(
      async () => (await raw.get('zpe:ops:rollout:submission_route'))?.includes('"tripped":{') ?? false,
      10_000,
    );
    const trippedAt = Date.now();
    for (const gateway of [a, b]) {
      await until(async () => (await submit(gateway, insiders[0] ?? '')).backend === 'legacy', BOUND_MS * 2);
    }
    expect(Date.now() - trippedAt).toBeLessThanOrEqual(BOUND_MS * 2);
    expect(await raw.get('zpe:ops:submission_route')).toBe('redis-worker');

    const state = await ops(b);
    const rollout = (state.rollouts as Record<string, Json>).submission_route;
    expect(rollout).toMatchObject({ percent: 0, guard });
    const tripped = rollout?.tripped as Json;
    expect(String(tripped.guard)).toMatch(/^next-gen 5xx ratio \d+\.\d% \(\d+\/\d+\) above 2\.0% over the last 30 s/);
    const audit = (state.audit as Json[]).filter((e) => e.actor === 'gateway:auto-rollback');
    expect(audit, 'exactly one rollback across the two instances').toHaveLength(1);
    const changes = (audit[0]?.changes ?? {}) as Record<string, Json>;
    const evidence = changes['rollout:submission_route']?.evidence as Json;
    expect(Number(evidence.requests)).toBeGreaterThanOrEqual(10);
    expect(Number(evidence.errors)).toBeGreaterThan(0);

    // Operators see it on every instance: /metrics and the operator page.
    for (const gateway of [a, b]) {
      const metrics = await (await gateway.fetch('/metrics', { admin: true })).text();
      expect(metrics).toMatch(/^zpe_gateway_rollout_rolled_back\{flag="submission_route"\} 1$/m);
      expect(metrics).toMatch(/^zpe_gateway_rollout_percent\{flag="submission_route"\} 0$/m);
      const page = await (await gateway.fetch('/_gateway', { admin: true })).text();
      expect(page).toMatch(/data-rollout="submission_route"[\s\S]*rolled back automatically[\s\S]*next-gen 5xx ratio/);
    }

    // Jobs submitted to next-gen before the rollback stay readable; a new change resumes the same users.
    nextgen.setFault(undefined);
    await everyJobReadable();
    const resume = await patch(a, { rollout: { submission_route: { percent: 50 } }, reason: 'fixed' });
    expect(resume.status).toBe(200);
    expect((resume.body.rollouts as Record<string, Json>).submission_route).toMatchObject({
      percent: 50,
      tripped: null,
      salt: rollout?.salt,
    });
    await bothSee(String(resume.body.version));
    expect((await submit(b, insiders[0] ?? '')).backend).toBe('nextgen');
    await patch(a, { rollout: { submission_route: null }, reason: 'end' });
  }, 120_000);
});
