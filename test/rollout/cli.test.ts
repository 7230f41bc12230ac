import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRollout } from '../../src/cli/rollout.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway, TEST_ADMIN_TOKEN } from '../support/gateway.js';
import { freePort, type PrivateRedis, startRedis } from '../support/redis-server.js';

let redis: PrivateRedis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let gw: RunningGateway;

async function rollout(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runRollout(args, {
    env: { ZPE_GATEWAY_URL: gw.origin, ZPE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

beforeAll(async () => {
  redis = await startRedis();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  gw = await startGateway({ ZPE_REDIS_URL: redis.url, ZPE_LEGACY_URL: legacy.origin, ZPE_NEXTGEN_URL: nextgen.origin });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

describe('zpe-gateway rollout', () => {
  it('start, raise, status and stop over the admin API, with the guardrails answers shown', async () => {
    expect((await rollout(['status', 'submission_route'])).out).toBe(
      'submission_route: no rollout (legacy key: redis-worker)\n',
    );
    const start = await rollout([
      'start',
      'submission_route',
      '--percent',
      '10',
      '--max-error-ratio',
      '0.02',
      '--window',
      '300',
      '--min-requests',
      '50',
      '--reason',
      'GRA-22 canary',
      '--actor',
      'jane',
    ]);
    expect(start.code, start.err).toBe(0);
    expect(start.out).toContain('submission_route: next-gen for 10% of users (legacy key: redis-worker)');
    expect(start.out).toContain('set by admin:jane: GRA-22 canary');
    expect(start.out).toContain('guard: max_error_ratio=0.02, window_seconds=300, min_requests=50');

    const again = await rollout(['start', 'submission_route', '--percent', '20']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already rolled out to 10%: use raise');
    const lower = await rollout(['raise', 'submission_route', '--percent', '5']);
    expect(lower.code).toBe(1);
    expect(lower.err).toContain('raise only adds users (10% now, 5% asked)');
    const raise = await rollout(['raise', 'submission_route', '--percent', '30', '--reason', 'looks good']);
    expect(raise.code, raise.err).toBe(0);
    // The guard set at start stays.
    expect(raise.out).toContain('next-gen for 30% of users');
    expect(raise.out).toContain('guard: max_error_ratio=0.02');

    const reads = await rollout(['start', 'result_read_source', '--percent', '10', '--reason', 'too early']);
    expect(reads.code).toBe(1);
    expect(reads.err).toContain('refused (409): cannot set result_read_source before step 1');
    expect(reads.err).toContain('override with --force --reason TEXT (recorded as forced)');

    const status = await rollout(['status', '--json']);
    expect(JSON.parse(status.out)).toMatchObject({ submission_route: { percent: 30 }, result_read_source: null });

    const stop = await rollout(['stop', 'submission_route', '--reason', 'drill over']);
    expect(stop.code, stop.err).toBe(0);
    expect(stop.out).toContain('submission_route: no rollout (legacy key: redis-worker)');
  });

  it('usage errors exit 2, an unreachable gateway 3', async () => {
    const flag = await rollout(['start', 'dequeue_enabled', '--percent', '10']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("FLAG must be one of submission_route, result_read_source, not 'dequeue_enabled'");
    const percent = await rollout(['start', 'submission_route', '--percent', '250']);
    expect(percent.code).toBe(2);
    expect(percent.err).toContain("--percent must be a number from 0.01 to 100, not '250'");
    const token = await rollout(['status'], { ZPE_ADMIN_TOKEN: '' });
    expect(token.code).toBe(2);
    const down = await rollout(['status'], { ZPE_GATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(3);
    expect(down.err).toContain('gateway unreachable');
  });
});
