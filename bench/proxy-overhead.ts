import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../test/support/redis-server.js';
import type { Benchmark, Row } from './lib/benchmark.js';
import { compiled } from './lib/build.js';
import { ratioChart } from './lib/chart.js';
import { benchCores } from './lib/cores.js';
import { startGatewayProcess } from './lib/gateway-process.js';
import { atRate, cpuMicros, haveWrk, type LoadSpec, peakRssMiB, saturate } from './lib/load.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FIXED_RATE = 1_000;
const JOB = 'http-0123456789abcdef0123456789abcdef';
const STATUS_PATH = `/api/zpe/jobs/${JOB}`;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const QE = readFileSync(new URL('./fixtures/Si001_m8_relax_fromscratch.in', import.meta.url), 'utf8');
/** A real submission: a 2.4 KB QE input from ../shared/samples/qe-in/, copied into bench/fixtures/. */
const SUBMISSION = JSON.stringify({ content: QE, mobile_indices: [0, 1] });
const HEADERS = { 'x-dev-user-id': 'bench' };

interface Server {
  origin: string;
  pid: number;
  stop(): void | Promise<void>;
}

/** A compiled server of bench/servers/ in its own plain-node process; resolves once it answers. */
async function startServer(file: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [file], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (
    !(await fetch(`${origin}${STATUS_PATH}`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${file} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin, pid: child.pid as number, stop: () => void child.kill('SIGTERM') };
}

/** One measured system: a server and what is asked of it. */
interface System {
  id: string;
  label: string;
  server: Server;
  spec: Omit<LoadSpec, 'url' | 'connections' | 'seconds'> & { path: string };
  /** What its req/s is compared with. */
  kind: 'GET' | 'POST' | 'legacy';
}

interface Sample {
  rps: number;
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

const median = (values: number[]) => {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor(sorted.length / 2)] as number) : Number.NaN;
};

/** `others`: every process of the run but the load generator, moved off the measured core. */
async function measure(system: System, seconds: number, others: readonly number[]): Promise<Sample> {
  benchCores().isolate(system.server.pid, others);
  const before = cpuMicros(system.server.pid);
  const result = await saturate({
    ...system.spec,
    url: system.server.origin + system.spec.path,
    connections: CONNECTIONS,
    seconds,
  });
  const used = cpuMicros(system.server.pid) - before;
  if (result.non2xx > 0) throw new Error(`${system.label}: ${result.non2xx} answers other than 2xx`);
  if (result.requests === 0) throw new Error(`${system.label}: no request answered in ${seconds} s`);
  if (result.errors > 0) process.stderr.write(`  ${system.label}: ${result.errors} socket errors or timeouts\n`);
  return { rps: result.rps, cpuUsPerRequest: used / result.requests, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

type FixedRateSample = Pick<Sample, 'rps' | 'p50Ms' | 'p99Ms'>;

/** Latency at FIXED_RATE req/s, after 2 s unmeasured: the step down from saturation (idle pools, a full GC) is not the steady rate. */
async function atFixedRate(system: System, others: readonly number[]): Promise<FixedRateSample> {
  const spec = { ...system.spec, url: system.server.origin + system.spec.path, connections: CONNECTIONS };
  benchCores().isolate(system.server.pid, others);
  await atRate({ ...spec, seconds: 2 }, FIXED_RATE);
  const result = await atRate({ ...spec, seconds: SECONDS }, FIXED_RATE);
  if (result.non2xx > 0) throw new Error(`${system.label}: ${result.non2xx} answers other than 2xx at a fixed rate`);
  return { rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

/** The same reads the built-in legacy backend makes for a job status (owner, status hash), straight from ioredis. */
async function rawRedisReads(url: string, seconds: number, others: readonly number[]): Promise<number> {
  // This process makes the reads: it gets the measured core, as each server does.
  benchCores().isolate(process.pid, others);
  const redis = new Redis(url);
  const until = performance.now() + seconds * 1000;
  let reads = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        await Promise.all([redis.get(`zpe:job:owner:${JOB}`), redis.hgetall(`zpe:status:${JOB}`)]);
        reads++;
      }
    }),
  );
  redis.disconnect();
  benchCores().release(process.pid);
  return reads / seconds;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';

export const proxyOverhead: Benchmark = {
  name: 'Proxy overhead: the gateway beside the proxies a team would pick instead',
  description:
    `${CONNECTIONS} keep-alive connections (${haveWrk() ? 'wrk' : 'autocannon'}), ${ROUNDS} interleaved rounds of ${SECONDS} s with the order rotated, medians; ` +
    'every server compiled to JavaScript and run by plain node in its own process on this 2-core machine, against one Node upstream. ' +
    (benchCores().pinned
      ? 'The system measured runs alone on core 0 (every thread), the load generator, the upstream, Redis and the idle servers on the other cores, so that wrk never takes CPU from what it measures. '
      : 'Nothing pinned (no taskset or a single core). ') +
    'CPU µs per request: user + system time of the server process (/proc/<pid>/stat) ÷ requests. GET: a job status; ' +
    `POST: a job with a ${SUBMISSION.length.toLocaleString('en')}-byte body (bench/fixtures/). The gateway runs with every feature on ` +
    '(contract validation, flags from Redis, routing headers, caller counting, the next-gen answer check, the request log line at error level). ' +
    `Fixed rate: ${FIXED_RATE.toLocaleString('en')} req/s for ${SECONDS} s after 2 s unmeasured, once per round, medians (${haveWrk() ? "wrk, each connection paced by wrk's delay()" : 'autocannon overallRate'}).`,
  async run(): Promise<Row[]> {
    const build = await compiled();
    const redis = await startRedis();
    const upstream = await startServer(build.server('upstream'), {});
    const bareStream = await startServer(build.server('hono-passthrough'), { UPSTREAM: upstream.origin });
    const bareBuffered = await startServer(build.server('hono-buffered'), { UPSTREAM: upstream.origin });
    const fastify = await startServer(build.server('fastify-proxy'), { UPSTREAM: upstream.origin });
    const gateway = await startGatewayProcess(
      {
        ZPE_REDIS_URL: redis.url,
        ZPE_NEXTGEN_URL: upstream.origin,
        ZPE_BUILTIN_LEGACY: 'false',
        ZPE_CUTOVER_RESULT_READ_SOURCE: 'projection',
        ZPE_CUTOVER_SUBMISSION_ROUTE: 'next-gen',
        AUTH_MODE: 'dev-bypass',
      },
      build.gateway,
    );
    const legacy = await startGatewayProcess({ ZPE_REDIS_URL: redis.url, AUTH_MODE: 'dev-bypass' }, build.gateway);
    const processes = [...[upstream, bareStream, bareBuffered, fastify, gateway, legacy].map((s) => s.pid), redis.pid];
    const raw = redis.client();
    await raw.set(`zpe:job:owner:${JOB}`, 'bench');
    await raw.hset(`zpe:status:${JOB}`, {
      status: 'finished',
      detail: '',
      updated_at: '2026-02-15T09:30:00.123456+00:00',
    });

    const get = { method: 'GET' as const, path: STATUS_PATH, headers: HEADERS };
    const post = {
      method: 'POST' as const,
      path: '/api/zpe/jobs',
      headers: { ...HEADERS, 'content-type': 'application/json' },
      body: SUBMISSION,
    };
    const systems: System[] = [
      { id: 'direct-get', label: 'upstream directly GET', server: upstream, spec: get, kind: 'GET' },
      { id: 'direct-post', label: 'upstream directly POST', server: upstream, spec: post, kind: 'POST' },
      { id: 'hono-stream-get', label: 'bare Hono + undici, streamed GET', server: bareStream, spec: get, kind: 'GET' },
      {
        id: 'hono-stream-post',
        label: 'bare Hono + undici, streamed POST',
        server: bareStream,
        spec: post,
        kind: 'POST',
      },
      {
        id: 'hono-buffered-get',
        label: 'bare Hono + undici, buffered GET',
        server: bareBuffered,
        spec: get,
        kind: 'GET',
      },
      {
        id: 'hono-buffered-post',
        label: 'bare Hono + undici, buffered POST',
        server: bareBuffered,
        spec: post,
        kind: 'POST',
      },
      { id: 'fastify-get', label: '@fastify/http-proxy GET', server: fastify, spec: get, kind: 'GET' },
      { id: 'fastify-post', label: '@fastify/http-proxy POST', server: fastify, spec: post, kind: 'POST' },
      { id: 'gateway-get', label: 'zpe-gateway → next-gen GET job status', server: gateway, spec: get, kind: 'GET' },
      { id: 'gateway-post', label: 'zpe-gateway → next-gen POST job', server: gateway, spec: post, kind: 'POST' },
      {
        id: 'legacy-get',
        label: 'zpe-gateway built-in legacy GET job status',
        server: legacy,
        spec: get,
        kind: 'legacy',
      },
    ];
    const samples = new Map<string, Sample[]>(systems.map((s) => [s.id, []]));
    const paced = systems.filter((s) => s.id.startsWith('fastify') || s.id.startsWith('gateway'));
    const pacedSamples = new Map<string, FixedRateSample[]>(paced.map((s) => [s.id, []]));
    const rawReads: number[] = [];
    try {
      process.stderr.write('  proxy overhead: warming up\n');
      for (const system of systems) await measure(system, 2, processes);
      for (let round = 0; round < ROUNDS; round++) {
        // Rotated, so no system always runs first (or right after the same neighbour).
        const order = systems.map((_, i) => systems[(i + round * 4) % systems.length] as System);
        process.stderr.write(`  proxy overhead: round ${round + 1} of ${ROUNDS}\n`);
        for (const system of order) samples.get(system.id)?.push(await measure(system, SECONDS, processes));
        rawReads.push(await rawRedisReads(redis.url, SECONDS, processes));
        // One pause (a GC, a neighbour's burst) decides a single run's p99: a fixed-rate run per round, medians.
        const pacedOrder = paced.map((_, i) => paced[(i + round) % paced.length] as System);
        for (const system of pacedOrder) pacedSamples.get(system.id)?.push(await atFixedRate(system, processes));
      }
      const fixed: Record<string, FixedRateSample> = {};
      for (const [id, all] of pacedSamples) {
        fixed[id] = {
          rps: median(all.map((x) => x.rps)),
          p50Ms: median(all.map((x) => x.p50Ms)),
          p99Ms: median(all.map((x) => x.p99Ms)),
        };
      }

      const summary = Object.fromEntries(
        systems.map((s) => {
          const all = samples.get(s.id) ?? [];
          return [
            s.id,
            {
              label: s.label,
              rps: median(all.map((x) => x.rps)),
              cpuUsPerRequest: median(all.map((x) => x.cpuUsPerRequest)),
              p50Ms: median(all.map((x) => x.p50Ms)),
              p99Ms: median(all.map((x) => x.p99Ms)),
              peakRssMiB: peakRssMiB(s.server.pid),
              rounds: all,
            },
          ];
        }),
      ) as Record<string, Sample & { label: string; peakRssMiB: number; rounds: Sample[] }>;
      const rawRate = median(rawReads);
      const of = (id: string) => summary[id] as Sample & { label: string; peakRssMiB: number };
      const ratio = (id: string, to: string) => of(id).rps / of(to).rps;

      const lines = [
        '| system | req/s | ÷ fastify | ÷ bare buffered | CPU µs/req | p50 ms | p99 ms | peak RSS MiB |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ];
      for (const s of systems) {
        const row = of(s.id);
        const method = s.kind === 'POST' ? 'post' : 'get';
        const vsFastify = s.kind === 'legacy' ? '–' : fmt(ratio(s.id, `fastify-${method}`), 2);
        const vsBare = s.kind === 'legacy' ? '–' : fmt(ratio(s.id, `hono-buffered-${method}`), 2);
        lines.push(
          `| ${s.label} | ${fmt(row.rps)} | ${vsFastify} | ${vsBare} | ${fmt(row.cpuUsPerRequest)} | ${fmt(row.p50Ms, 2)} | ${fmt(row.p99Ms, 2)} | ${fmt(row.peakRssMiB)} |`,
        );
      }
      lines.push(`| raw ioredis loop, same reads as a legacy job status | ${fmt(rawRate)} | | | | | | |`);
      console.log(`\n${lines.join('\n')}`);

      const results = {
        date: new Date().toISOString(),
        node: process.version,
        loadGenerator: haveWrk() ? 'wrk' : 'autocannon',
        connections: CONNECTIONS,
        seconds: SECONDS,
        rounds: ROUNDS,
        systems: summary,
        rawIoredisReadsPerSecond: rawRate,
        fixedRate: { rate: FIXED_RATE, ...fixed, rounds: Object.fromEntries(pacedSamples) },
        ratios: {
          gatewayGetToFastify: ratio('gateway-get', 'fastify-get'),
          gatewayPostToFastify: ratio('gateway-post', 'fastify-post'),
          gatewayGetToBareBuffered: ratio('gateway-get', 'hono-buffered-get'),
          gatewayPostToBareBuffered: ratio('gateway-post', 'hono-buffered-post'),
          legacyStatusToRawIoredis: of('legacy-get').rps / rawRate,
        },
      };
      const dir = new URL('./results/', import.meta.url);
      mkdirSync(dir, { recursive: true });
      const stamp = results.date.slice(0, 19).replace(/[:T]/g, '-');
      writeFileSync(new URL(`proxy-${stamp}.json`, dir), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(
        new URL(`proxy-${stamp}.svg`, dir),
        ratioChart(
          'req/s ÷ @fastify/http-proxy (same run, medians)',
          systems
            .filter((s) => s.kind !== 'legacy')
            .map((s) => ({ label: s.label, value: ratio(s.id, s.kind === 'POST' ? 'fastify-post' : 'fastify-get') })),
        ),
      );
      process.stderr.write(`  proxy overhead: bench/results/proxy-${stamp}.json and .svg written\n`);

      const target = (name: string, value: number, goal: number, unit = '×') =>
        ({
          measure: name,
          value: `${fmt(value, 2)}${unit} (target ≥ ${goal}${unit}): ${value >= goal ? 'met' : 'MISSED'}`,
        }) as Row;
      const cpu = (id: string) => of(id).cpuUsPerRequest;
      return [
        target('gateway GET ÷ fastify', ratio('gateway-get', 'fastify-get'), 1),
        target('gateway POST ÷ fastify', ratio('gateway-post', 'fastify-post'), 1),
        {
          measure: 'gateway CPU µs per GET / POST (fastify)',
          value: `${fmt(cpu('gateway-get'))} / ${fmt(cpu('gateway-post'))} (${fmt(cpu('fastify-get'))} / ${fmt(cpu('fastify-post'))}): ${cpu('gateway-get') <= cpu('fastify-get') && cpu('gateway-post') <= cpu('fastify-post') ? 'met' : 'MISSED'}`,
        },
        ...(['get', 'post'] as const).map((method) => {
          const gateway = fixed[`gateway-${method}`];
          const reference = fixed[`fastify-${method}`];
          const met = gateway && reference && gateway.p99Ms <= reference.p99Ms + 2;
          return {
            measure: `p99 at ${FIXED_RATE} req/s, gateway ${method.toUpperCase()} / fastify (ms; reached req/s)`,
            value: `${fmt(gateway?.p99Ms ?? Number.NaN, 2)} / ${fmt(reference?.p99Ms ?? Number.NaN, 2)} (${fmt(gateway?.rps ?? Number.NaN)} / ${fmt(reference?.rps ?? Number.NaN)}; target ≤ fastify + 2 ms): ${met ? 'met' : 'MISSED'}`,
          } as Row;
        }),
        target('built-in legacy job status ÷ raw ioredis reads', results.ratios.legacyStatusToRawIoredis, 0.5),
      ];
    } finally {
      await gateway.stop();
      await legacy.stop();
      for (const server of [fastify, bareBuffered, bareStream, upstream]) await server.stop();
      await redis.stop();
    }
  },
};
