import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../support/redis-server.js';

/**
 * A private redis-server that writes every command to its append-only file before answering
 * (`appendfsync always`), so it can be killed (SIGKILL) and started again on the same port and data
 * directory with every acknowledged write: a production Redis's durability, for fault tests.
 */
export interface DurableRedis {
  url: string;
  client(): Redis;
  pause(): void;
  resume(): void;
  /** SIGKILL: no shutdown save, only what the append-only file holds survives. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves when it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDurableRedis(): Promise<DurableRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'zpe-aof-'));
  const url = `redis://127.0.0.1:${port}/0`;
  const clients: Redis[] = [];
  let proc: ChildProcess;

  const start = async () => {
    proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  };
  await start();

  const stopProcess = async (signal: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGCONT');
    proc.kill(signal);
    await exited;
  };

  return {
    url,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    pause: () => proc.kill('SIGSTOP'),
    resume: () => proc.kill('SIGCONT'),
    kill: () => stopProcess('SIGKILL'),
    restart: start,
    async stop() {
      for (const c of clients) c.disconnect();
      await stopProcess('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
