import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startRedis } from '../test/support/redis-server.js';
import type { Benchmark, Row } from './lib/benchmark.js';
import { startGatewayProcess } from './lib/gateway-process.js';

const CONNECTIONS = 50;
const SECONDS = 5;
const ROUNDS = 3;
const PATH = '/api/zpe/jobs/http-0123456789abcdef0123456789abcdef';
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A server of bench/servers/ in its own process; resolves once it answers. */
async function startServer(file: string, env: Record<string, string>): Promise<{ origin: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `bench/servers/${file}`], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (
    !(await fetch(`${origin}${PATH}`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${file} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin, stop: () => child.kill('SIGTERM') };
}

/** Median requests per second over the rounds, after a warm-up; every answer must be a 200. */
async function measure(origin: string): Promise<number> {
  const run = (duration: number) =>
    autocannon({ url: `${origin}${PATH}`, connections: CONNECTIONS, duration, headers: { 'x-dev-user-id': 'bench' } });
  await run(1);
  const rates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const result = await run(SECONDS);
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${origin}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    rates.push(result.requests.average);
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(rates.length / 2)] ?? 0);
}

export const proxyOverhead: Benchmark = {
  name: 'Proxy overhead: a read routed to next-gen',
  description:
    `GET ${PATH} with ${CONNECTIONS} keep-alive connections (autocannon), median of ${ROUNDS} rounds of ${SECONDS} s, ` +
    'against one Node upstream; every server in its own process on this 2-core machine, so each figure is ' +
    'also a share of the same CPUs. The gateway runs as deployed (`npm start`), routing by flags ' +
    '(result_read_source=projection) and checking each next-gen answer against the contract.',
  async run(): Promise<Row[]> {
    const redis = await startRedis();
    const upstream = await startServer('upstream.ts', {});
    const hono = await startServer('hono-passthrough.ts', { UPSTREAM: upstream.origin });
    const fastify = await startServer('fastify-proxy.ts', { UPSTREAM: upstream.origin });
    const gateway = await startGatewayProcess({
      ZPE_REDIS_URL: redis.url,
      ZPE_NEXTGEN_URL: upstream.origin,
      ZPE_BUILTIN_LEGACY: 'false',
      ZPE_CUTOVER_RESULT_READ_SOURCE: 'projection',
      AUTH_MODE: 'dev-bypass',
    });
    try {
      const direct = await measure(upstream.origin);
      const bare = await measure(hono.origin);
      const reference = await measure(fastify.origin);
      const ours = await measure(gateway.origin);
      const ratio = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
      return [
        { measure: 'upstream directly (req/s)', value: direct.toLocaleString('en') },
        { measure: 'bare Hono pass-through, undici Pool (req/s)', value: bare.toLocaleString('en') },
        { measure: '@fastify/http-proxy (req/s)', value: reference.toLocaleString('en') },
        { measure: 'zpe-gateway (req/s)', value: ours.toLocaleString('en') },
        { measure: 'zpe-gateway ÷ bare Hono pass-through', value: ratio(ours, bare) },
        { measure: 'zpe-gateway ÷ @fastify/http-proxy', value: ratio(ours, reference) },
      ];
    } finally {
      await gateway.stop();
      fastify.stop();
      hono.stop();
      upstream.stop();
      await redis.stop();
    }
  },
};
