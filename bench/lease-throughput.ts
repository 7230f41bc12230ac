import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { enqueueRaw } from '../test/support/legacy-fixture.js';
import { startRedis } from '../test/support/redis-server.js';
import { type Benchmark, concurrently, perSecond, type Row } from './lib/benchmark.js';
import { compiled } from './lib/build.js';
import { startGatewayProcess } from './lib/gateway-process.js';

const WORKERS = 32;
const JOBS = 20_000;
const WARMUP_JOBS = 1_000;
/** Leases watched with MONITOR to count what the gateway sends to Redis (MONITOR slows Redis: not timed). */
const SAMPLED_JOBS = 300;
const GET_ROUND_TRIPS = 100_000;
const ADMIN_TOKEN = 'bench-admin-token';

async function commandCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/gm)) {
    if (match[1] !== 'info') total += Number(match[2]);
  }
  return total;
}

async function postJson(pool: Pool, path: string, body: unknown, token?: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const answer = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await answer.body.json()) as Record<string, string>;
  if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Each worker leases until its share is done (`limit` leases in all) or the queue is empty; answers
 * each granted lease's latency in ms.
 */
async function leaseAll(pool: Pool, tokens: string[], limit: number): Promise<number[]> {
  const latencies: number[] = [];
  let granted = 0;
  await concurrently(tokens.length, async (i) => {
    const headers = { authorization: `Bearer ${tokens[i]}` };
    while (granted < limit) {
      const started = performance.now();
      const answer = await pool.request({ path: '/api/zpe/compute/jobs/lease', method: 'POST', headers });
      if (answer.statusCode === 204) {
        await answer.body.dump();
        return;
      }
      if (answer.statusCode !== 200) throw new Error(`lease: ${answer.statusCode} ${await answer.body.text()}`);
      await answer.body.json();
      latencies.push(performance.now() - started);
      granted++;
    }
  });
  return latencies;
}

/**
 * Commands the gateway sends to Redis while `work` runs (not those its scripts run), split into script
 * calls (the legacy backend) and everything else.
 */
async function clientCommands(
  redisUrl: string,
  work: () => Promise<unknown>,
): Promise<{ scripts: number; other: number }> {
  // monitor() answers a second connection; the first must be closed too.
  const connection = new Redis(redisUrl);
  const watcher = await connection.monitor();
  const seen = { scripts: 0, other: 0 };
  let marker = false;
  watcher.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const command = args[0]?.toLowerCase();
    if (command === 'echo' && args[1] === 'bench-marker') marker = true;
    else if (command === 'evalsha' || command === 'eval') seen.scripts++;
    else seen.other++;
  });
  await work();
  // Redis reports in order: once the marker is seen, so is everything sent before it.
  const probe = new Redis(redisUrl);
  await probe.echo('bench-marker');
  while (!marker) await new Promise((r) => setTimeout(r, 10));
  probe.disconnect();
  watcher.disconnect();
  connection.disconnect();
  return seen;
}

async function getRoundTrips(redisUrl: string): Promise<number> {
  const clients = Array.from({ length: WORKERS }, () => new Redis(redisUrl));
  await clients[0]!.set('bench:get', 'x');
  await concurrently(WORKERS, (i) => clients[i]!.ping());
  const started = performance.now();
  await concurrently(WORKERS, async (i) => {
    for (let n = 0; n < GET_ROUND_TRIPS / WORKERS; n++) await clients[i]!.get('bench:get');
  });
  const rate = perSecond(GET_ROUND_TRIPS, performance.now() - started);
  for (const client of clients) client.disconnect();
  return rate;
}

const progress = (step: string) => process.stderr.write(`  lease throughput: ${step}\n`);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export const leaseThroughput: Benchmark = {
  name: 'Lease throughput: built-in legacy backend',
  description:
    `${WORKERS} concurrent workers lease ${JOBS.toLocaleString('en')} queued jobs over HTTP (keep-alive, undici Pool) ` +
    'from the gateway as deployed (compiled to JavaScript, plain node, its own process, AUTH_MODE=dev-bypass, logs at error level), ' +
    'on a private redis-server. Baseline in the same run: Redis GET round trips with ' +
    `${WORKERS} concurrent clients (ioredis, one command in flight per client) on the same redis-server.`,
  async run(): Promise<Row[]> {
    progress('starting redis-server and the gateway');
    const redis = await startRedis();
    const gateway = await startGatewayProcess(
      { ZPE_REDIS_URL: redis.url, AUTH_MODE: 'dev-bypass', ZPE_ADMIN_TOKEN: ADMIN_TOKEN },
      (await compiled()).gateway,
    );
    const pool = new Pool(gateway.origin, { connections: WORKERS });
    try {
      const raw = redis.client();
      const tokens = await concurrently(WORKERS, async () => {
        const { token } = await postJson(pool, '/api/zpe/compute/enroll-tokens', {}, ADMIN_TOKEN);
        return (await postJson(pool, '/api/zpe/compute/servers', { token, name: 'bench' })).worker_token!;
      });
      await enqueueRaw(raw, 'bench', WARMUP_JOBS + SAMPLED_JOBS + JOBS);

      progress('warming up');
      await leaseAll(pool, tokens, WARMUP_JOBS);
      progress('counting round trips with MONITOR');
      let sampled = 0;
      const sent = await clientCommands(redis.url, async () => {
        sampled = (await leaseAll(pool, tokens, SAMPLED_JOBS)).length;
      });
      progress('timed run');

      const before = await commandCalls(raw);
      const started = performance.now();
      const latencies = await leaseAll(pool, tokens, Number.POSITIVE_INFINITY);
      const elapsed = performance.now() - started;
      // The last lease of each worker found the queue empty: a lease request all the same.
      const requests = latencies.length + WORKERS;
      const executed = (await commandCalls(raw)) - before;

      const leaseRate = perSecond(latencies.length, elapsed);
      progress('baseline: GET round trips');
      const getRate = await getRoundTrips(redis.url);
      latencies.sort((a, b) => a - b);
      return [
        { measure: 'jobs leased (timed run)', value: latencies.length.toLocaleString('en') },
        { measure: 'leases per second', value: leaseRate.toLocaleString('en') },
        {
          measure: 'lease latency p50 / p99 (ms)',
          value: `${percentile(latencies, 0.5).toFixed(1)} / ${percentile(latencies, 0.99).toFixed(1)}`,
        },
        {
          measure: 'Redis round trips per lease: legacy backend (EVALSHA)',
          value: (sent.scripts / sampled).toFixed(2),
        },
        {
          measure: 'other gateway commands per lease (caller counting)',
          value: (sent.other / sampled).toFixed(2),
        },
        { measure: "all Redis commands per lease (scripts' own included)", value: (executed / requests).toFixed(1) },
        { measure: `Redis GET round trips per second (${WORKERS} clients)`, value: getRate.toLocaleString('en') },
        { measure: 'ratio: leases/s ÷ GET round trips/s', value: `${((leaseRate / getRate) * 100).toFixed(1)} %` },
      ];
    } finally {
      await pool.close();
      await gateway.stop();
      await redis.stop();
    }
  },
};
