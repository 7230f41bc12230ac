import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { enqueueRaw, type LegacyGateway, startLegacyGateway } from '../support/legacy-fixture.js';
import { until } from '../support/until.js';

let gw: LegacyGateway;

beforeAll(async () => {
  gw = await startLegacyGateway();
});
afterAll(() => gw?.close());
beforeEach(async () => {
  await gw.raw.flushdb();
  gw.clock.offsetSeconds = 0;
});

type Leased = { job_id: string; lease_id: string };

/** Runs `count` copies of `work` at once. */
const all = <T>(count: number, work: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, i) => work(i)));

/** Each worker leases until the queue answers 204; every lease granted, by worker. */
async function drain(tokens: string[]): Promise<Leased[][]> {
  return all(tokens.length, async (i) => {
    const leased: Leased[] = [];
    for (;;) {
      const answer = await gw.lease(tokens[i]!);
      if (answer.status === 204) return leased;
      if (answer.status !== 200) throw new Error(`lease: ${answer.status} ${answer.text}`);
      leased.push(answer.json as Leased);
    }
  });
}

describe('exactly-once leasing', () => {
  test('50 concurrent workers lease 2,000 jobs over HTTP: each exactly once, none lost', async () => {
    const workers = await all(50, () => gw.registerWorker('alice'));
    const queued = await enqueueRaw(gw.raw, 'alice', 2000);

    const byWorker = await drain(workers.map((w) => w.worker_token));
    const leased = byWorker.flat().map((l) => l.job_id);
    expect(leased).toHaveLength(2000);
    expect(new Set(leased)).toEqual(new Set(queued));
    // Oldest first: the queue is a FIFO (LPUSH, RPOP), so leases were granted in submission order.
    const order = new Map(queued.map((id, i) => [id, i]));
    for (const jobs of byWorker) {
      const positions = jobs.map((l) => order.get(l.job_id)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    // The load spread over the workers: none starved.
    expect(byWorker.filter((jobs) => jobs.length > 0).length).toBeGreaterThan(40);
    expect(await gw.raw.llen('zpe:queue')).toBe(0);
    expect(await gw.raw.zcard('zpe:lease:index')).toBe(2000);
    expect(await gw.raw.keys('zpe:lease:http-*')).toHaveLength(2000);
  }, 60_000);

  test('expired leases come back once each, to 50 workers leasing at the same time', async () => {
    const workers = await all(50, () => gw.registerWorker('alice'));
    const tokens = workers.map((w) => w.worker_token);
    const submitted = await enqueueRaw(gw.raw, 'alice', 300);
    const first = (await drain(tokens)).flat();
    expect(first).toHaveLength(300);

    // Half of the lease hashes are gone already (as a legacy-written hash, whose TTL is the lease
    // time, would be): those must come back too. A lease ends up to 2 s after its TTL (rounded up).
    await gw.raw.del(...first.slice(0, 150).map((l) => `zpe:lease:${l.job_id}`));
    gw.clock.offsetSeconds = 603;
    const second = (await drain(tokens)).flat();
    expect(second.map((l) => l.job_id).sort()).toEqual([...submitted].sort());
    const status = await gw.raw.hgetall(`zpe:status:${submitted[0]}`);
    expect(status).toMatchObject({ status: 'queued', detail: 'lease expired' });

    // The first holder's lease is over: its result is refused, the new holder's accepted.
    const old = first[0]!;
    const late = await gw.call('POST', `/api/zpe/compute/jobs/${old.job_id}/failed`, {
      bearer: tokens[0]!,
      body: { lease_id: old.lease_id, error_code: 'E', error_message: 'late' },
    });
    expect(late.status).toBe(409);
    expect(late.json).toEqual({ error: { code: 'conflict', message: 'lease mismatch' } });
  }, 30_000);
});

describe('leases expiring in real time (lease TTL 1 s)', () => {
  let short: LegacyGateway;
  beforeAll(async () => {
    short = await startLegacyGateway({ ZPE_LEASE_TTL_SECONDS: '1' });
  });
  afterAll(() => short?.close());

  test('jobs whose lease hashes Redis already expired come back to the next worker', async () => {
    const [a, b] = await all(2, () => short.registerWorker('alice'));
    const jobs = await enqueueRaw(short.raw, 'alice', 5);
    for (const _ of jobs) expect((await short.lease(a!.worker_token)).status).toBe(200);
    expect((await short.lease(b!.worker_token)).status).toBe(204);

    // The situation the legacy lost jobs in: the lease hashes are gone, only the index remembers
    // them. The gateway's hashes outlive the lease; the legacy's expire with it, as deleted here.
    expect(await short.raw.ttl(`zpe:lease:${jobs[0]}`)).toBeGreaterThan(1);
    await short.raw.del(...jobs.map((id) => `zpe:lease:${id}`));
    expect(await short.raw.zcard('zpe:lease:index')).toBe(5);

    const back: string[] = [];
    await until(
      async () => {
        const answer = await short.lease(b!.worker_token);
        if (answer.status === 200) back.push((answer.json as Leased).job_id);
        return back.length === jobs.length;
      },
      5000,
      50,
    );
    expect(back.sort()).toEqual([...jobs].sort());
    expect(await short.raw.hgetall(`zpe:status:${jobs[0]}`)).toMatchObject({ detail: 'lease expired' });
  });
});

describe('single-use enrollment', () => {
  test('one enrollment token, 20 concurrent registrations: exactly one succeeds', async () => {
    const token = await gw.enroll('alice');
    const answers = await all(20, (i) =>
      gw.call('POST', '/api/zpe/compute/servers', { body: { token, name: `box-${i}` } }),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expect(lost.status).toBe(400);
      expect(lost.json).toEqual({ error: { code: 'bad_request', message: 'invalid enroll token' } });
    }
    expect(await gw.raw.keys('zpe:compute:server:*')).toHaveLength(1);
    expect(await gw.raw.llen('zpe:queue:targets:alice')).toBe(1);
    expect(await gw.raw.keys('zpe:token:*')).toHaveLength(1);
  });
});

describe('one round trip per lease', () => {
  test('a lease, with its token check, expired-lease sweep and retry promotion, is one EVALSHA', async () => {
    const worker = await gw.registerWorker('alice');
    await gw.submit('alice');
    await gw.submit('alice');
    // The first call on a connection sends the script itself (EVAL); later ones only its hash.
    expect((await gw.lease(worker.worker_token)).status).toBe(200);

    // MONITOR sees every command in execution order, those a script runs marked as from 'lua'.
    const monitor = await gw.raw.duplicate().monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen.push(String(args[0]).toLowerCase());
    });
    const marker = gw.redis.client();
    await until(async () => {
      await marker.echo('ready');
      return seen.includes('echo');
    }, 5000);
    seen.length = 0;

    const leased = await gw.lease(worker.worker_token);
    expect(leased.status).toBe(200);
    // Redis answers in order: once the marker shows up, everything the lease sent was seen.
    await marker.echo('done');
    await until(() => seen.includes('echo'), 5000);
    monitor.disconnect();
    expect(seen).toEqual(['evalsha', 'echo']);
  });
});
