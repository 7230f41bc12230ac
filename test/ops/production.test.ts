import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { SMALL_INPUT } from '../support/legacy-fixture.js';
import { launchCollecting, type Started } from '../support/process.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

/** Cleans up a process group that may have exited on its own meanwhile (then there is nothing to kill). */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

import { type ProductionInstall, productionInstall } from './production-install.js';

let install: ProductionInstall;
let redis: PrivateRedis;
let nextgen: NextgenStandin;

beforeAll(async () => {
  [install, redis, nextgen] = await Promise.all([productionInstall(), startRedis(), startNextgenStandin()]);
});

afterAll(async () => {
  await nextgen?.close();
  await redis?.stop();
  await install?.remove();
});

/** A command in its own process group (as an orchestrator runs it), with exactly `env` plus PATH. */
function launch(command: string, args: string[], env: Record<string, string>): Started {
  return launchCollecting(command, args, {
    cwd: install.root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    detached: true,
  });
}

/** The processes still in a process group (the group's id is its leader's pid). */
function processGroup(pgid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  // Zombies are dead already: only their parent has yet to collect the exit status.
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\d+\s+Z/.test(line));
}

const gatewayEnv = () => ({
  PORT: '0',
  HOST: '127.0.0.1',
  AUTH_MODE: 'dev-bypass',
  ZPE_ADMIN_TOKEN: 'ops-admin-token',
  ZPE_REDIS_URL: redis.url,
  ZPE_NEXTGEN_URL: nextgen.origin,
  ZPE_UPSTREAM_TIMEOUT_MS: '10000',
});

const PARSE_BODY = JSON.stringify({ content: SMALL_INPUT });

async function portOf(started: Started): Promise<number> {
  await until(() => /"msg":"listening","port":\d+/.test(started.output()), 20_000, 25);
  return Number(/"msg":"listening","port":(\d+)/.exec(started.output())?.[1]);
}

describe('the production build after `npm ci --omit=dev`', () => {
  it('has no development dependency to run on', () => {
    expect(install.packages).toContain('hono');
    for (const dev of ['tsx', 'typescript', 'esbuild', 'openapi-typescript', 'vitest']) {
      expect(install.packages).not.toContain(dev);
    }
  });

  it('runs the zpe-gateway CLI: --help, and retire status on this package’s manifest', () => {
    const help = spawnSync(process.execPath, [path.join(install.root, 'bin/zpe-gateway.js'), '--help'], {
      cwd: install.root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: zpe-gateway retire COMMAND');

    const status = spawnSync(
      process.execPath,
      [path.join(install.root, 'bin/zpe-gateway.js'), 'retire', 'status', '--today', '2026-12-01'],
      { cwd: install.root, encoding: 'utf8', timeout: 30_000, env: { PATH: '', ZPE_REDIS_URL: redis.url } },
    );
    expect(status.stderr).toBe('');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Retirement checklist (routes/retirement.json), today 2026-12-01');
    expect(status.stdout).toMatch(/^legacy-endpoints-removed +open/m);
  });

  it('drains on SIGTERM: /readyz 503 at once, still serving during the drain, the slow request finishes, exit 0, nothing left behind', async () => {
    const started = launch(process.execPath, ['dist/runtime/node/main.js'], {
      ...gatewayEnv(),
      ZPE_SHUTDOWN_DRAIN_MS: '1500',
      ZPE_SHUTDOWN_GRACE_MS: '10000',
    });
    const pgid = started.child.pid as number;
    try {
      const port = await portOf(started);
      const gw = `http://127.0.0.1:${port}`;
      expect((await fetch(`${gw}/readyz`)).status).toBe(200);

      nextgen.setFault({ kind: 'delay', ms: 2500 }, ['parseQeInput']);
      nextgen.resetCounts();
      const inFlight = fetch(`${gw}/api/zpe/parse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: PARSE_BODY,
      });
      await until(() => nextgen.served('parseQeInput') === 1, 5000);
      const signalled = Date.now();
      process.kill(pgid, 'SIGTERM');

      // Not ready at once, yet answering (new connections included) until the drain period is over.
      await until(async () => (await fetch(`${gw}/readyz`)).status === 503, 1000);
      const ready = await fetch(`${gw}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'shutting down' });
      expect((await fetch(`${gw}/healthz`)).status).toBe(200);
      expect(Date.now() - signalled).toBeLessThan(1500);

      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-zpe-backend')).toBe('nextgen');
      expect(await started.exit).toBe(0);
      expect(started.output()).toMatch(
        /"msg":"shutting down","signal":"SIGTERM"[\s\S]*"msg":"drained: no longer accepting connections"[\s\S]*"msg":"stopped","cut_off":false/,
      );
      await expect(fetch(`${gw}/healthz`)).rejects.toThrow();
      expect(processGroup(pgid)).toEqual([]);
    } finally {
      nextgen.setFault(undefined);
      if (started.child.exitCode === null) killGroup(pgid);
    }
  });

  it('cuts off a request that outlasts the grace period, still closes everything, and exits 1', async () => {
    const started = launch(process.execPath, ['dist/runtime/node/main.js'], {
      ...gatewayEnv(),
      ZPE_SHUTDOWN_DRAIN_MS: '0',
      ZPE_SHUTDOWN_GRACE_MS: '300',
    });
    const pgid = started.child.pid as number;
    try {
      const port = await portOf(started);
      nextgen.setFault({ kind: 'delay', ms: 5000 }, ['parseQeInput']);
      nextgen.resetCounts();
      const inFlight = fetch(`http://127.0.0.1:${port}/api/zpe/parse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: PARSE_BODY,
      }).then(
        (r) => r.status,
        () => 'cut off',
      );
      await until(() => nextgen.served('parseQeInput') === 1, 5000);
      process.kill(pgid, 'SIGTERM');
      expect(await started.exit).toBe(1);
      expect(await inFlight).toBe('cut off');
      expect(started.output()).toMatch(/"msg":"in-flight requests did not finish in time","grace_ms":300/);
      expect(started.output()).toMatch(/"msg":"stopped","cut_off":true/);
      expect(processGroup(pgid)).toEqual([]);
    } finally {
      nextgen.setFault(undefined);
      if (started.child.exitCode === null) killGroup(pgid);
    }
  });

  it('ends the drain early on a second signal', async () => {
    const started = launch(process.execPath, ['dist/runtime/node/main.js'], {
      ...gatewayEnv(),
      ZPE_SHUTDOWN_DRAIN_MS: '600000',
    });
    const pgid = started.child.pid as number;
    try {
      const port = await portOf(started);
      process.kill(pgid, 'SIGTERM');
      // A fresh connection each time: a pooled one may belong to an earlier gateway on the same port.
      const readyz = () => fetch(`http://127.0.0.1:${port}/readyz`, { headers: { connection: 'close' } });
      await until(
        async () =>
          (await readyz().then(
            (r) => r.status,
            () => 0,
          )) === 503,
        2000,
      );
      const second = Date.now();
      process.kill(pgid, 'SIGTERM');
      expect(await started.exit).toBe(0);
      expect(Date.now() - second).toBeLessThan(5000);
      expect(started.output()).toContain('"msg":"second signal: ending the drain now"');
    } finally {
      if (started.child.exitCode === null) killGroup(pgid);
    }
  });

  it('`npm start` runs the build with nothing between npm and node, and SIGTERM to npm leaves no process behind', async () => {
    const started = launch('npm', ['start', '--silent'], { ...gatewayEnv(), ZPE_SHUTDOWN_DRAIN_MS: '200' });
    const pgid = started.child.pid as number;
    try {
      await portOf(started);
      const group = processGroup(pgid);
      // npm itself and node: no shell, no tsx, no second node in between.
      expect(group).toHaveLength(2);
      expect(group.some((line) => /\snode dist\/runtime\/node\/main\.js$/.test(line))).toBe(true);
      started.child.kill('SIGTERM');
      await started.exit;
      await until(() => processGroup(pgid).length === 0, 5000, 25);
      expect(started.output()).toMatch(/"msg":"stopped","cut_off":false/);
    } finally {
      if (processGroup(pgid).length > 0) process.kill(-pgid, 'SIGKILL');
    }
  });
});
