import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { SMALL_INPUT } from '../support/legacy-fixture.js';
import { freePort } from '../support/redis-server.js';
import { until } from '../support/until.js';

/**
 * A real Sentinel deployment on loopback: a primary, a replica and one sentinel (quorum 1, a
 * primary is down after 1 s), each its own process on a free port.
 */
const MASTER_NAME = 'zpe-primary';

interface Proc {
  port: number;
  proc: ChildProcess;
}

let dir: string;
const procs: Proc[] = [];
const clients: Redis[] = [];

async function spawnRedis(args: string[], port: number, sentinel = false): Promise<Proc> {
  const command = sentinel ? 'redis-sentinel' : 'redis-server';
  // Its own folder: a primary writes an RDB file for a replica's sync, even with saving off.
  const proc = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d) => {
    output += String(d);
  });
  proc.stderr?.on('data', (d) => {
    output += String(d);
  });
  const started = { port, proc };
  procs.push(started);
  const probe = client(port);
  await until(
    async () => {
      if (proc.exitCode !== null) throw new Error(`${command} exited: ${output}`);
      return (await probe.ping().catch(() => '')) === 'PONG';
    },
    10_000,
    25,
  );
  return started;
}

function client(port: number): Redis {
  const c = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
    lazyConnect: false,
  });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

const serverArgs = (port: number) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--loglevel',
  'warning',
  '--dir',
  dir,
];

let primary: Proc;
let replica: Proc;
let sentinel: Proc;
let sentinelClient: Redis;

async function masterPort(): Promise<number> {
  const [, port] = (await sentinelClient.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
  return Number(port);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'zpe-sentinel-'));
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  primary = await spawnRedis(serverArgs(p1), p1);
  replica = await spawnRedis([...serverArgs(p2), '--replicaof', '127.0.0.1', String(p1)], p2);
  // Sentinel rewrites its configuration file as it learns: it must be its own, writable.
  const conf = path.join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${p3}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${p1} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  sentinel = await spawnRedis([conf, '--loglevel', 'warning'], p3, true);
  sentinelClient = client(p3);
  // The sentinel knows the replica (from the primary's INFO) and the replica is in sync.
  await until(
    async () => {
      const replicas = (await sentinelClient.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[];
      const info = await client(p2).info('replication');
      return replicas.length === 1 && info.includes('master_link_status:up');
    },
    20_000,
    100,
  );
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const { proc } of procs) {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Flow {
  worker: string;
  job: string;
}

/** A user enrolls a worker, submits a job and reads it: built-in legacy writes and reads on the primary. */
async function userFlow(gw: RunningGateway, user: string): Promise<Flow> {
  const enroll = await gw.fetch('/api/zpe/compute/enroll-tokens', { method: 'POST', user, json: {} });
  expect(enroll.status).toBe(200);
  const { token } = (await enroll.json()) as { token: string };
  const registered = await gw.fetch('/api/zpe/compute/servers', { method: 'POST', json: { token, name: user } });
  expect(registered.status).toBe(200);
  const { worker_token: worker } = (await registered.json()) as { worker_token: string };
  const submitted = await gw.fetch('/api/zpe/jobs', {
    method: 'POST',
    user,
    json: { content: SMALL_INPUT, mobile_indices: [2] },
  });
  expect(submitted.status, await submitted.clone().text()).toBe(200);
  const { id: job } = (await submitted.json()) as { id: string };
  expect((await gw.fetch(`/api/zpe/jobs/${job}`, { user })).status).toBe(200);
  return { worker, job };
}

/** Polls until one whole user flow succeeds again after a fault: the deadline is the claim. */
async function servesAgain(
  gw: RunningGateway,
  user: string,
  deadlineMs: number,
): Promise<{ flow: Flow; afterMs: number }> {
  const started = Date.now();
  let flow: Flow | undefined;
  await until(
    async () => {
      flow = await userFlow(gw, user).catch(() => undefined);
      return flow !== undefined;
    },
    deadlineMs,
    100,
  );
  return { flow: flow as Flow, afterMs: Date.now() - started };
}

describe('Redis through Sentinel', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({
      // Only the database comes from the URL: the host is the one the sentinels name.
      ZPE_REDIS_URL: 'redis://sentinel-managed/0',
      ZPE_REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      ZPE_REDIS_SENTINEL_NAME: MASTER_NAME,
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('serves the built-in legacy and the flags from the primary the sentinels name', async () => {
    expect(await masterPort()).toBe(primary.port);
    const { job } = await userFlow(gw, 'ada');
    expect(await client(primary.port).exists(`zpe:status:${job}`)).toBe(1);
    const ready = await gw.fetch('/readyz');
    expect(ready.status).toBe(200);
  });

  it('keeps serving after a failover ordered by SENTINEL FAILOVER, on the new primary, with earlier jobs readable', async () => {
    const before = await userFlow(gw, 'bob');
    // Replicated before the switch: a failover must not be what loses it.
    await client(primary.port).wait(1, 2000);
    await sentinelClient.call('SENTINEL', 'failover', MASTER_NAME);
    await until(async () => (await masterPort()) === replica.port, 20_000, 100);
    // Until the sentinel has demoted the old primary, a write may still reach it and be lost in its
    // resync: Redis' replication is asynchronous (see the README's Redis section). Wait for that.
    // The sentinel cuts the clients of an instance it reconfigures (CLIENT KILL): a probe cut so is not yet an answer.
    const demoted = client(primary.port);
    await until(async () => (await demoted.info('replication').catch(() => '')).includes('role:slave'), 20_000, 50);

    const { flow, afterMs } = await servesAgain(gw, 'bob', 15_000);
    process.stdout.write(`serving again ${afterMs} ms after the new primary was named\n`);
    expect(await client(replica.port).exists(`zpe:status:${flow.job}`)).toBe(1);
    const earlier = await gw.fetch(`/api/zpe/jobs/${before.job}`, { user: 'bob' });
    expect(earlier.status).toBe(200);
    const lease = await gw.fetch('/api/zpe/compute/jobs/lease', {
      method: 'POST',
      headers: { authorization: `Bearer ${before.worker}` },
    });
    expect(lease.status).toBe(200);
    const flags = await gw.fetch('/api/zpe/admin/ops', {
      method: 'PATCH',
      admin: true,
      json: { shadow_sample_rate: 0.1, reason: 'after failover' },
    });
    expect(flags.status).toBe(200);
  });

  it('keeps serving after its primary is killed', async () => {
    const current = await masterPort();
    const dead = procs.find((p) => p.port === current) as Proc;
    await client(current).wait(1, 2000);
    dead.proc.kill('SIGKILL');
    await once(dead.proc, 'exit');
    const survivor = current === primary.port ? replica.port : primary.port;
    await until(async () => (await masterPort()) === survivor, 30_000, 100);

    const { flow, afterMs } = await servesAgain(gw, 'carol', 15_000);
    process.stdout.write(`serving again ${afterMs} ms after the new primary was named\n`);
    expect(await client(survivor).exists(`zpe:status:${flow.job}`)).toBe(1);
    expect((await gw.fetch('/readyz')).status).toBe(200);
  });
});
