import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { SMALL_INPUT } from '../support/legacy-fixture.js';
import { launchCollecting, type Started } from '../support/process.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

const MAIN = new URL('../../src/runtime/node/main.ts', import.meta.url).pathname;

/** `npm run dev`'s program (the source through tsx, one process), with exactly `env` (plus PATH). */
function launch(env: Record<string, string>): Started {
  return launchCollecting(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

let redis: PrivateRedis;
let nextgen: NextgenStandin;

beforeAll(async () => {
  redis = await startRedis();
  nextgen = await startNextgenStandin();
});

afterAll(async () => {
  await nextgen?.close();
  await redis?.stop();
});

describe('the Node entry point', () => {
  it('refuses invalid configuration at start, naming every bad variable', async () => {
    const started = launch({ PORT: 'eighty', ZPE_LEASE_TTL_SECONDS: '-5', AUTH_MODE: 'magic' });
    expect(await started.exit).toBe(2);
    const output = started.output();
    expect(output).toContain('zpe-gateway: invalid configuration');
    expect(output).toMatch(/PORT: expected a whole number from 0 to 65535, got 'eighty'/);
    expect(output).toMatch(/ZPE_LEASE_TTL_SECONDS: expected a whole number/);
    expect(output).toMatch(/AUTH_MODE: expected one of clerk, jwt, dev-bypass, got 'magic'/);
    expect(output).not.toMatch(/at .*\.ts:\d+/);
  });

  it('finishes in-flight requests on SIGTERM, then exits 0 (no drain period, as in development)', async () => {
    const started = launch({
      ZPE_SHUTDOWN_DRAIN_MS: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_MODE: 'dev-bypass',
      ZPE_REDIS_URL: redis.url,
      ZPE_NEXTGEN_URL: nextgen.origin,
      ZPE_UPSTREAM_TIMEOUT_MS: '10000',
    });
    try {
      await until(() => /"msg":"listening"/.test(started.output()), 20_000, 25);
      const port = Number(/"msg":"listening","port":(\d+)/.exec(started.output())?.[1]);
      nextgen.setFault({ kind: 'delay', ms: 1000 }, ['parseQeInput']);
      const inFlight = fetch(`http://127.0.0.1:${port}/api/zpe/parse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: SMALL_INPUT }),
      });
      await until(() => nextgen.served('parseQeInput') === 1, 5000);
      started.child.kill('SIGTERM');
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-zpe-backend')).toBe('nextgen');
      expect(await started.exit).toBe(0);
      expect(started.output()).toMatch(/"msg":"shutting down","signal":"SIGTERM"[\s\S]*"msg":"stopped"/);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      nextgen.setFault(undefined);
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  });
});
